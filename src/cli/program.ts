import { Command, CommanderError } from "commander";
import { MlxError } from "../errors.js";
import { sanitizeLine } from "../primitives/sanitize-text.js";
import { MLX_VERSION } from "./version.js";

/** What a command hands back: its exit code. Only this file turns errors into codes. */
export type CommandAction = () => Promise<number>;

/** A verb's module adds its command to the program and hands its action back through setAction. */
export type Register = (program: Command, setAction: (action: CommandAction) => void) => void;

function buildProgram(registers: readonly Register[], setAction: (action: CommandAction) => void): Command {
  const program = new Command("mlx")
    .description("Make a machine-learning run reproducible by someone else.")
    .version(MLX_VERSION, "-V, --version")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText(
      "after",
      "\nExit codes: 0 ok; 1 replay diverged; 2 bad input; 3 environment; 70 a bug in mlx.\n" +
        "`mlx capture` returns the command's own exit code once the command has started.",
    );
  for (const register of registers) register(program, setAction);
  return program;
}

/**
 * Parses argv with the verbs `load` gives, runs one command, maps errors to exit codes (DESIGN.md):
 * 2 bad input, 3 environment, 70 bug.
 */
export async function runProgram(argv: readonly string[], load: () => Promise<readonly Register[]>): Promise<number> {
  let action: CommandAction | undefined;
  try {
    const program = buildProgram(await load(), (a) => (action = a));
    await program.parseAsync(argv, { from: "user" });
    if (!action) {
      program.outputHelp();
      return 2;
    }
    return await action();
  } catch (error) {
    return exitCodeFor(error);
  }
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version end here too, successfully; commander already printed its message.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof MlxError) {
    // Messages may quote a bundle (member names, Docker's words): never let them drive the terminal.
    process.stderr.write(`mlx: ${sanitizeLine(error.message)}\n${error.hint ? `  ${sanitizeLine(error.hint)}\n` : ""}`);
    return error.exitCode;
  }
  process.stderr.write(
    `mlx: internal error (a bug in mlx, please report it with this output)\n${error instanceof Error ? error.stack : String(error)}\n`,
  );
  return 70;
}
