import { BadInputError } from "../errors.js";
import { join } from "node:path";
import type { Command } from "commander";
import { findRoot, runsFolder } from "../record/run-folder.js";
import type { CommandAction } from "./main.js";

export function registerTag(program: Command, setAction: (action: CommandAction) => void): void {
  program
    .command("tag")
    .description("add (+name) or remove (-name) a run's tags")
    .argument("<run>", "run id, prefix, or latest")
    .argument("<edits...>", "+name to add, -name to remove")
    .option("--json", "print the run's tags as JSON", false)
    .usage("<run> +name -name ...")
    // "-name" is an edit, not an option: commander hands unknown dashes through as arguments.
    .allowUnknownOption()
    .action((ref: string, edits: string[], opts: { json: boolean }) => setAction(() => runTag(ref, edits, opts)));
}

async function runTag(ref: string, args: readonly string[], opts: { json: boolean }): Promise<number> {
  const { parseTagEdits, applyTagEdits } = await import("../inspect/tag-edits.js"); // loaded only when used
  const { readRun, writeRun } = await import("../record/run-store.js");
  const { resolveRecord } = await import("../record/group-store.js");
  const edits = parseTagEdits(args); // a bad edit is exit 2 before anything is read or written
  const { root } = await findRoot(process.cwd());
  const found = await resolveRecord(root, ref);
  if (found.kind === "group")
    throw new BadInputError(`${found.id} is a search group; mlx tag labels runs`, `Tag its trials: mlx ls --group ${found.id}`);
  const id = found.id;
  const folder = join(runsFolder(root), id);
  const run = await readRun(folder);
  const tags = applyTagEdits(run.tags, edits);
  // writeRun validates as capture does, then replaces manifest.yaml atomically.
  await writeRun(folder, { ...run, tags });
  process.stdout.write(opts.json ? JSON.stringify({ id, tags }) + "\n" : `${id}: ${tags.length > 0 ? tags.join(", ") : "(no tags)"}\n`);
  return 0;
}
