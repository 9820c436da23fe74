// One error hierarchy: src/cli/main.ts alone maps it to an exit code (DESIGN.md, exit codes).
export abstract class MlxError extends Error {
  abstract readonly exitCode: 2 | 3;
  constructor(
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Usage, config, schema, unsafe or corrupt input: exit 2. */
export class BadInputError extends MlxError {
  readonly exitCode = 2;
}

/** Docker unreachable, disk full, permissions: exit 3. */
export class EnvironmentError extends MlxError {
  readonly exitCode = 3;
}

/** The message of any thrown value, for reasons recorded in a probe or a warning. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
