import { BadInputError } from "../errors.js";

/** `+name` adds a tag, `-name` removes one; applied in order. */
export interface TagEdit {
  op: "+" | "-";
  tag: string;
}

/** Parses `mlx tag` arguments; a bare word, an empty name, or a newline is exit 2. */
export function parseTagEdits(args: readonly string[]): TagEdit[] {
  if (args.length === 0) throw new BadInputError("mlx tag needs at least one +name or -name", "Example: mlx tag latest +baseline -draft");
  return args.map((arg) => {
    const op = arg[0];
    const tag = arg.slice(1);
    if ((op !== "+" && op !== "-") || tag.trim() === "" || /[\r\n]/.test(tag) || tag.length > 200) {
      throw new BadInputError(
        `'${arg}' is not a tag edit`,
        "Write +name to add a tag and -name to remove one (one line, at most 200 characters), e.g. mlx tag latest +baseline",
      );
    }
    return { op, tag };
  });
}

/** The tags after the edits: order kept, additions at the end, no duplicates. */
export function applyTagEdits(tags: readonly string[], edits: readonly TagEdit[]): string[] {
  let out = [...new Set(tags)];
  for (const e of edits) out = e.op === "+" ? (out.includes(e.tag) ? out : [...out, e.tag]) : out.filter((t) => t !== e.tag);
  return out;
}
