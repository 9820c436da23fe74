import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { BadInputError } from "../errors.js";
import { findRoot } from "../record/run-folder.js";
import type { CommandAction } from "./main.js";

export function registerRm(program: Command, setAction: (action: CommandAction) => void): void {
  program
    .command("rm")
    .description("delete runs and search groups (a group with its trials); asks first unless --yes")
    .argument("<record...>", "run or group ids (or unique prefixes)")
    .option("-y, --yes", "delete without asking (needed when stdin is not a terminal)", false)
    .action((refs: string[], opts: { yes: boolean }) => setAction(() => runRm(refs, opts)));
}

async function runRm(refs: readonly string[], opts: { yes: boolean }): Promise<number> {
  const { planRemoval, removeRecords } = await import("../inspect/remove-records.js"); // loaded only when used
  const { root } = await findRoot(process.cwd());
  const plan = await planRemoval(root, refs); // a bad id or a lone trial is exit 2 before anything is asked or touched
  const what = [...plan.groups.map((id) => `group ${id}`), ...plan.runs.map((id) => `run ${id}`)];
  if (!opts.yes) {
    if (!process.stdin.isTTY) {
      throw new BadInputError(
        `refusing to delete ${what.length} record(s) without confirmation: stdin is not a terminal`,
        "Add --yes to delete.",
      );
    }
    process.stderr.write(`about to delete:\n${what.map((w) => `  ${w}\n`).join("")}`);
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`delete ${what.length} record(s)? [y/N] `).finally(() => rl.close());
    if (!/^y(es)?$/i.test(answer.trim())) {
      process.stderr.write("nothing deleted\n");
      return 0;
    }
  }
  await removeRecords(root, plan);
  for (const w of what) process.stdout.write(`removed ${w}\n`);
  return 0;
}
