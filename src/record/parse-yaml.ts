import { parseAllDocuments } from "yaml";
import { BadInputError } from "../errors.js";
import { FORBIDDEN_KEYS } from "./forbidden-keys.js";

export const MAX_YAML_BYTES = 1024 * 1024;
export const MAX_FLOW_DEPTH = 64;

/**
 * Parses YAML (or JSON, a subset) from an untrusted or hand-written file, strictly: one document,
 * YAML 1.2 core schema (no `yes` as true), unique keys, an alias cap (no billion laughs), flow
 * nesting capped (deep nesting crashed V8), warnings as errors, no prototype keys. Errors name the file, line and column.
 */
export function parseYamlStrict(text: string, where: string): unknown {
  if (Buffer.byteLength(text) > MAX_YAML_BYTES) {
    throw new BadInputError(`${where}: larger than ${MAX_YAML_BYTES} bytes`, "Records and configs are small; check the file.");
  }
  if (/^%YAML\s+1\.[01]\b/m.test(text)) {
    throw new BadInputError(
      `${where}: %YAML 1.1 is not accepted (its booleans and octals change values)`,
      "Remove the %YAML directive; mlx reads YAML 1.2.",
    );
  }
  const depth = flowDepth(text);
  if (depth > MAX_FLOW_DEPTH) {
    throw new BadInputError(`${where}: brackets nested ${depth} deep (at most ${MAX_FLOW_DEPTH})`, "Flatten the structure.");
  }
  const docs = parseAllDocuments(text, { version: "1.2", schema: "core", uniqueKeys: true, prettyErrors: true });
  if (!Array.isArray(docs)) return null; // an empty stream
  if (docs.length !== 1) {
    throw new BadInputError(`${where}: holds ${docs.length} YAML documents; expected one`, "Remove the extra '---' documents.");
  }
  const doc = docs[0]!;
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const pos = problem.linePos?.[0];
    const at = pos ? `:${pos.line}:${pos.col}` : "";
    throw new BadInputError(`${where}${at}: ${problem.message.split("\n")[0]}`, "Fix the YAML at that position.");
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new BadInputError(`${where}: ${(error as Error).message}`, "Simplify the YAML (aliases are capped).", { cause: error });
  }
  rejectForbiddenKeys(value, where, "");
  return value;
}

/**
 * The deepest nesting of [ and { (a quoted bracket counts too: it only makes the check stricter).
 * Checked before parsing: 20,000 nested brackets overflow the parser's stack, and near the stack's
 * end V8 can die outright ("RegExpCompiler Allocation failed"), which no catch survives.
 */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) max = Math.max(max, ++depth);
    else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return max;
}

function rejectForbiddenKeys(value: unknown, where: string, pointer: string): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => rejectForbiddenKeys(item, where, `${pointer}/${i}`));
  } else if (value !== null && typeof value === "object") {
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        throw new BadInputError(`${where}: key '${key}' at ${pointer || "/"} is not allowed`, "Rename the key.");
      }
      rejectForbiddenKeys((value as Record<string, unknown>)[key], where, `${pointer}/${key}`);
    }
  }
}
