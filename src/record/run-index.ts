// The run index, .mlx/index/runs.jsonl: one JSON line per record write, so that `mlx ls` reads one file
// instead of every manifest. The run folders stay the truth: the folder list decides which runs exist,
// a run the index lacks is read from its folder, and a row is checked against its manifest before it is
// shown. The index is a cache that mends itself; nothing is lost when it is wrong, missing or deleted.
import { constants } from "node:fs";
import { mkdir, open, rename, stat, unlink, writeFile, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { describeError } from "../errors.js";
import { processAlive } from "../primitives/process-alive.js";
import { tempPathFor } from "../primitives/write-atomic.js";
import { listIds } from "./record-ids.js";
import { runsFolder } from "./run-folder.js";
import { invalidRow, runRowOf, type RunRow } from "./run-row.js";
import type { RunManifest } from "./types.js";
import {
  decodeLine,
  headOf,
  indexLine,
  parseIndex,
  type IndexEntry as Entry,
  type IndexLines,
  type ManifestKey,
} from "./run-index-lines.js";

export { parseIndex, type ManifestKey };

export const MANIFEST = "manifest.yaml";

export const runIndexPath = (root: string): string => join(root, ".mlx", "index", "runs.jsonl");

const NO_MANIFEST: ManifestKey = { size: -1, mtimeMs: -1, ino: -1 };

// Past this many dead lines (superseded or removed runs), the next reader rewrites the file compactly.
const MIN_WASTE_BEFORE_COMPACTING = 100;
// A repair lock older than this was left by a crash: it is removed.
const STALE_LOCK_MS = 30_000;
const READ_CONCURRENCY = 16;

const keyOf = (s: { size: number; mtimeMs: number; ino: number }): ManifestKey => ({ size: s.size, mtimeMs: s.mtimeMs, ino: s.ino });
const sameKey = (a: ManifestKey, b: ManifestKey): boolean => a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;

/**
 * Appends the row of a record just written to `folder` (.mlx/runs/<id>), keyed by the manifest's
 * size, mtime and inode taken before its rename. A failed append deletes the index (the next reader
 * rebuilds it) rather than leave it behind the record.
 */
export async function appendRunIndex(folder: string, manifest: RunManifest, key: ManifestKey): Promise<void> {
  const runs = dirname(folder);
  if (basename(runs) !== "runs" || basename(dirname(runs)) !== ".mlx") return;
  const path = join(dirname(runs), "index", "runs.jsonl");
  const entry: Entry = { key, pid: pidOf(manifest), row: runRowOf(manifest, manifest.status, null) };
  await appendLines(path, indexLine(basename(folder), entry)).catch(() => unlink(path).catch(() => undefined));
}

/**
 * One write(2) on a file opened O_APPEND: lines from processes appending at once never interleave. If
 * a repair replaced the file meanwhile (its inode changed), the lines are written again to the new one;
 * a line twice is harmless (the newest key of a run wins).
 */
async function appendLines(path: string, text: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    // Never through a link: whatever it points at is not mlx's to write (the failure deletes the link).
    const handle = await open(path, APPEND_FLAGS, 0o644).catch(async (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      await mkdir(dirname(path), { recursive: true });
      return open(path, APPEND_FLAGS, 0o644);
    });
    try {
      await handle.write(text);
      const [mine, now] = await Promise.all([handle.stat(), stat(path).catch(() => null)]);
      if (now !== null && now.ino === mine.ino && now.dev === mine.dev) return;
    } finally {
      await handle.close();
    }
  }
}

const pidOf = (m: RunManifest): number | null => (m.status === "running" ? (m.command.pid ?? null) : null);

/** The runs as the index and their folders agree on them. */
export interface RunIndex {
  /** Every run folder's id, newest first: the folder list, never the index, says which runs exist. */
  readonly ids: readonly string[];
  /** The rows of these ids from the index (a running one whose capture died: abandoned); unchecked. */
  rows(ids: readonly string[]): Promise<RunRow[]>;
  /** The same rows after checking each manifest's size, mtime and inode: a changed one is read again. */
  fresh(rows: readonly RunRow[]): Promise<RunRow[]>;
}

/**
 * Reads the index beside the run folders. A run folder it lacks is read and its line appended. When the
 * index is missing, holds garbage, or has more dead lines than live ones, it is rebuilt: every run it
 * lacks is read from its folder (after garbage, every line it keeps is first checked against its
 * manifest) and the file is replaced atomically.
 */
export function openRunIndex(root: string): Promise<RunIndex> {
  return loadRunIndex(root, false);
}

/** Rewrites the index with only the runs whose folders exist (`mlx rm` calls it after removing runs). */
export async function compactRunIndex(root: string): Promise<void> {
  // No index: nothing to compact (a rebuild is the next reader's, not the remover's, to pay).
  if (
    await stat(runIndexPath(root)).then(
      () => true,
      () => false,
    )
  )
    await loadRunIndex(root, true);
}

async function loadRunIndex(root: string, compact: boolean): Promise<RunIndex> {
  const path = runIndexPath(root);
  const [ids, file] = await Promise.all([listIds(runsFolder(root)), readIndexFile(path)]);
  try {
    const { lines, garbage, count } = parseIndex(file?.text ?? "");
    const live = new Set(ids);
    let kept = 0;
    for (const id of lines.keys()) if (live.has(id)) kept++;
    const missing = ids.length - kept;
    const waste = count - kept;
    // No runs and no index: nothing to write (listing must not create .mlx where there is none).
    if (
      (file === null && ids.length > 0) ||
      garbage > 0 ||
      (compact && file !== null) ||
      waste > Math.max(MIN_WASTE_BEFORE_COMPACTING, ids.length)
    ) {
      await repairIndex(root, ids, lines, garbage > 0, file);
    } else if (missing > 0) {
      // Runs added behind the index's back (or a capture that has not written its record yet): read and appended.
      const added = await mapLimited(
        ids.filter((id) => !lines.has(id)),
        async (id) => indexLine(id, await readEntry(root, id)),
      );
      for (const line of added) lines.set(headOf(line)!.id, line.slice(0, -1));
      await appendLines(path, added.join("")).catch(() => undefined);
    }
    return new LoadedIndex(root, ids, lines);
  } finally {
    await file?.handle.close();
  }
}

interface IndexFile {
  handle: FileHandle;
  text: string;
  /** Bytes up to the last newline: what was read whole; later appends start here. */
  endBytes: number;
  ino: number;
}

const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

/** The index as read, or null when there is none to read (missing, a link, a folder, unreadable): it is rebuilt. */
async function readIndexFile(path: string): Promise<IndexFile | null> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
  if (handle === null) return null;
  try {
    const [bytes, s] = await Promise.all([handle.readFile(), handle.stat()]);
    // A last line without its newline is a write in progress or a crash: left out, never parsed.
    const endBytes = bytes.lastIndexOf(0x0a) + 1;
    return { handle, text: bytes.toString("utf8", 0, endBytes), endBytes, ino: s.ino };
  } catch {
    await handle.close(); // a folder in its place (EISDIR), an I/O error: the run folders are read instead
    return null;
  }
}

async function statKey(root: string, id: string): Promise<ManifestKey> {
  return stat(join(runsFolder(root), id, MANIFEST)).then(keyOf, () => NO_MANIFEST);
}

/** A run read from its folder, as the index will keep it: an unreadable or invalid record is an invalid row. */
async function readEntry(root: string, id: string): Promise<Entry> {
  // The key is taken first: a write after it makes the line look older than the manifest, never newer.
  const key = await statKey(root, id);
  const { readRun } = await import("./run-store.js"); // YAML and the schema load only when a record is read
  try {
    const m = await readRun(join(runsFolder(root), id));
    return { key, pid: pidOf(m), row: runRowOf(m, m.status, null) };
  } catch (error) {
    return { key, pid: null, row: invalidRow(id, describeError(error)) };
  }
}

async function mapLimited<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, items.length) }, worker));
  return out;
}

/**
 * Fills `lines` with a line for every id (reading the runs the index lacks; with `checkAll`, also
 * those whose manifest changed), then replaces the file, unless another process repaired it since it
 * was read (that file is as good). Lines appended to the old file meanwhile are carried over.
 */
async function repairIndex(
  root: string,
  ids: readonly string[],
  lines: IndexLines,
  checkAll: boolean,
  file: IndexFile | null,
): Promise<void> {
  await mapLimited(ids, async (id) => {
    const line = lines.get(id);
    if (line !== undefined && !checkAll) return;
    if (line !== undefined && sameKey(headOf(line)!.key, await statKey(root, id))) return;
    lines.set(id, indexLine(id, await readEntry(root, id)).slice(0, -1));
  });
  const live = new Set(ids);
  for (const id of [...lines.keys()]) if (!live.has(id)) lines.delete(id);
  const path = runIndexPath(root);
  await mkdir(dirname(path), { recursive: true }).catch(() => undefined);
  const lock = `${path}.lock`;
  if (!(await takeLock(lock))) return; // another process is repairing: this one uses what it read
  try {
    const now = await stat(path).catch(() => null);
    if (file === null ? now !== null : now === null || now.ino !== file.ino) return;
    const temp = tempPathFor(path);
    try {
      await writeFile(temp, ids.map((id) => lines.get(id)! + "\n").join(""), { flag: "wx" });
      await rename(temp, path);
    } catch {
      await unlink(temp).catch(() => undefined);
      return; // a read-only store still lists: the index is only a cache
    }
    if (file !== null) await carryOver(file, path);
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

async function takeLock(lock: string): Promise<boolean> {
  try {
    await writeFile(lock, `${process.pid}\n`, { flag: "wx" });
    return true;
  } catch {
    const s = await stat(lock).catch(() => null);
    if (s !== null && Date.now() - s.mtimeMs > STALE_LOCK_MS) await unlink(lock).catch(() => undefined);
    return false;
  }
}

/** Whole lines appended to the replaced file after it was read, appended again to the new one. */
async function carryOver(file: IndexFile, path: string): Promise<void> {
  const { size } = await file.handle.stat();
  if (size <= file.endBytes) return;
  const late = Buffer.alloc(size - file.endBytes);
  await file.handle.read(late, 0, late.length, file.endBytes);
  const whole = late.subarray(0, late.lastIndexOf(0x0a) + 1);
  if (whole.length > 0) await appendLines(path, whole.toString("utf8")).catch(() => undefined);
}

class LoadedIndex implements RunIndex {
  // A row's folder: its id, unless a hand-edited manifest says another.
  private readonly folderOf = new WeakMap<RunRow, string>();

  constructor(
    private readonly root: string,
    readonly ids: readonly string[],
    private readonly lines: IndexLines,
  ) {}

  async rows(ids: readonly string[]): Promise<RunRow[]> {
    return mapLimited(ids, async (id) => {
      const line = this.lines.get(id);
      const entry = (line !== undefined ? decodeLine(line, id) : null) ?? (await this.reread(id));
      const row = shownRow(entry);
      this.folderOf.set(row, id);
      return row;
    });
  }

  async fresh(rows: readonly RunRow[]): Promise<RunRow[]> {
    return mapLimited(rows, async (row) => {
      const id = this.folderOf.get(row) ?? row.id;
      const line = this.lines.get(id);
      const indexed = line === undefined ? null : headOf(line);
      if (indexed !== null && sameKey(indexed.key, await statKey(this.root, id))) return row;
      const fresh = shownRow(await this.reread(id));
      this.folderOf.set(fresh, id);
      return fresh;
    });
  }

  /** A run read from its folder; its line is appended so the next reader finds it. */
  private async reread(id: string): Promise<Entry> {
    const entry = await readEntry(this.root, id);
    const line = indexLine(id, entry);
    this.lines.set(id, line.slice(0, -1));
    await appendLines(runIndexPath(this.root), line).catch(() => undefined);
    return entry;
  }
}

function shownRow(e: Entry): RunRow {
  return e.row.status === "running" && !processAlive(e.pid) ? { ...e.row, status: "abandoned" } : e.row;
}
