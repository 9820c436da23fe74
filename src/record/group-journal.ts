// A running search's journal, trials.jsonl beside group.yaml: one JSON line per trial state change,
// each written with one append, so recording the thousandth trial costs what the first did. While the
// search runs, its record is group.yaml (written whole at the start) with the journal's lines applied
// in order; when it ends, group.yaml is written whole again and the journal is removed.
import { open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { BadInputError, describeError, EnvironmentError } from "../errors.js";
import type { GroupManifest, GroupTrial } from "./types.js";

export const JOURNAL_FILE = "trials.jsonl";

/** One state change of one trial, and what changed with it in the group. */
export interface JournalEntry {
  /** The group's id: a journal copied in from another group is refused, not merged. */
  readonly group: string;
  /** The trial as it now stands, whole: it replaces the trial of the same index. */
  readonly trial: GroupTrial;
  /** The search's best trial after this change. */
  readonly best: GroupManifest["best"];
  /** Warnings raised since the previous line. */
  readonly warnings?: readonly string[];
  /** The nodes this attempt ran on: each lists the trial's index once more, as the whole record does. */
  readonly nodes?: readonly string[];
}

export interface GroupJournal {
  /** Appends one line; lines are written in the order given, never interleaved. */
  append(entry: JournalEntry): Promise<void>;
  close(): Promise<void>;
}

/** Opens (creates) the journal of the group at `folder` for appending. */
export async function openGroupJournal(folder: string): Promise<GroupJournal> {
  const where = join(folder, JOURNAL_FILE);
  const handle = await open(where, "a", 0o644);
  let writing: Promise<void> = Promise.resolve();
  const failed = (error: unknown): never => {
    throw new EnvironmentError(`cannot append to ${where}: ${describeError(error)}`, "Check free space and permissions there.", {
      cause: error,
    });
  };
  return {
    append(entry) {
      const line = JSON.stringify(entry) + "\n";
      const next = writing.then(() => handle.appendFile(line)).catch(failed);
      writing = next.catch(() => undefined);
      return next;
    },
    async close() {
      await writing;
      await handle.close();
    },
  };
}

export async function removeGroupJournal(folder: string): Promise<void> {
  await rm(join(folder, JOURNAL_FILE), { force: true });
}

/** The journal's entries, or null when the group has none. */
export async function readGroupJournal(folder: string): Promise<JournalEntry[] | null> {
  const where = join(folder, JOURNAL_FILE);
  const text = await readFile(where, "utf8").catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new BadInputError(`cannot read ${where}: ${describeError(error)}`, "Check the permissions of the group's folder.", {
      cause: error,
    });
  });
  return text === null ? null : parseGroupJournal(text, where);
}

/**
 * The entries of a journal's text. Text after the last newline is a line the search was killed while
 * writing: it is left out. Any other line that is not a JSON object is a corrupt journal.
 */
export function parseGroupJournal(text: string, where: string): JournalEntry[] {
  const lines = text.split("\n");
  lines.pop(); // "" after the last newline, or a torn last line
  return lines.flatMap((line, i): JournalEntry[] => {
    if (line.trim() === "") return [];
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch (error) {
      throw corrupt(where, i, `not JSON (${describeError(error)})`);
    }
    const trial = (entry as { trial?: unknown } | null)?.trial;
    if (typeof entry !== "object" || entry === null || typeof trial !== "object" || trial === null) {
      throw corrupt(where, i, "not a trial entry");
    }
    return [entry as JournalEntry];
  });
}

/** The group with the journal's entries applied in order; the result still needs validating. */
export function mergeGroupJournal(group: GroupManifest, entries: readonly JournalEntry[], where: string): GroupManifest {
  const trials = [...group.trials];
  const warnings = [...group.warnings];
  const nodes: Record<string, number[]> = Object.fromEntries(Object.entries(group.nodes ?? {}).map(([node, at]) => [node, [...at]]));
  let anyNodes = group.nodes !== undefined;
  let best = group.best;
  entries.forEach((entry, i) => {
    if (entry.group !== group.id) throw corrupt(where, i, `an entry of group ${JSON.stringify(entry.group)}, not of ${group.id}`);
    const index = entry.trial.index;
    if (!Number.isInteger(index) || index < 0 || index >= trials.length) throw corrupt(where, i, `no trial ${String(index)} in the group`);
    trials[index] = entry.trial;
    best = entry.best ?? null;
    if (Array.isArray(entry.warnings)) warnings.push(...entry.warnings);
    for (const node of Array.isArray(entry.nodes) ? entry.nodes : []) {
      (nodes[node] ??= []).push(index);
      anyNodes = true;
    }
  });
  return { ...group, trials, best, warnings, ...(anyNodes ? { nodes } : {}) };
}

function corrupt(where: string, line: number, why: string): BadInputError {
  return new BadInputError(
    `${where}: line ${line + 1} is ${why}`,
    "The search's journal was edited or damaged; remove the line, or remove the group (mlx rm) and run the search again.",
  );
}
