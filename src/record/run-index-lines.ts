// The line format of the run index (.mlx/index/runs.jsonl), pure: one JSON object a line, its head
// (version, id, the manifest's size, mtime and inode) always first and in this order, so a reader finds
// each run's newest line with one anchored match per line and parses JSON only for the rows it uses.
import type { RunRow } from "./run-row.js";

/** One version of a manifest: a rewrite (temp + rename) changes the inode, an edit in place its size or mtime. */
export interface ManifestKey {
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface IndexEntry {
  key: ManifestKey;
  /** The capture's process while the record says running: a dead one lists as abandoned. */
  pid: number | null;
  row: RunRow;
}

// Sticky: matched at a line's start inside the whole text, without slicing the line out first.
const HEAD = /\{"v":1,"id":"([^"\\/\n]+)","size":(-?\d+),"mtimeMs":(-?[0-9.e+]+),"ino":(-?\d+),/y;

const LINE_START = '{"v":1,"id":"';

// The head with only what parsing needs captured: the id and the mtime (which of two lines is newer).
const SCAN = /\{"v":1,"id":"([^"\\/\n]+)","size":-?\d+,"mtimeMs":(-?[0-9.e+]+),"ino":-?\d+,/y;

/** The line of an entry, newline included. */
export function indexLine(id: string, e: IndexEntry): string {
  return JSON.stringify({ v: 1, id, size: e.key.size, mtimeMs: e.key.mtimeMs, ino: e.key.ino, pid: e.pid, row: e.row }) + "\n";
}

/** The head of a line (or of the line starting at `at` in a longer text), or null when it is not one. */
export function headOf(text: string, at = 0): { id: string; key: ManifestKey } | null {
  HEAD.lastIndex = at;
  const m = HEAD.exec(text);
  return m ? { id: m[1]!, key: { size: Number(m[2]), mtimeMs: Number(m[3]), ino: Number(m[4]) } } : null;
}

/** The entry of one line, or null when its body is not what the index writes. */
export function decodeLine(line: string, id: string): IndexEntry | null {
  const head = headOf(line);
  if (head === null || head.id !== id) return null;
  try {
    const e = JSON.parse(line) as { pid?: unknown; row?: unknown };
    return isRow(e.row, id) ? { key: head.key, pid: typeof e.pid === "number" ? e.pid : null, row: e.row } : null;
  } catch {
    return null;
  }
}

const stringOrNull = (v: unknown): boolean => v === null || typeof v === "string";
const numberOrNull = (v: unknown): boolean => v === null || typeof v === "number";
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A row of the shape the index writes, for the run in folder `id`: a line that says anything else (a
 * wrong type, another run's id) is not trusted, and the run is read from its folder instead.
 */
function isRow(row: unknown, id: string): row is RunRow {
  if (!isObject(row) || row["id"] !== id || typeof row["status"] !== "string") return false;
  if (!stringOrNull(row["name"]) || !stringOrNull(row["createdAt"])) return false;
  if (!numberOrNull(row["exitCode"]) || !numberOrNull(row["durationMs"])) return false;
  if (!Array.isArray(row["tags"]) || !row["tags"].every((t) => typeof t === "string")) return false;
  if (!isObject(row["params"]) || !isObject(row["metrics"])) return false;
  if (!Object.values(row["metrics"]).every((v) => typeof v === "number" || v === "NaN" || v === "Infinity" || v === "-Infinity"))
    return false;
  const group = row["group"];
  if (group !== null && !(isObject(group) && typeof group["id"] === "string" && typeof group["trial"] === "number")) return false;
  return row["problem"] === undefined || typeof row["problem"] === "string";
}

/**
 * Each run's newest line: kept as an offset into the text read (sliced only when asked for), or as a
 * line set since. A Map of id -> line, as far as its users go.
 */
export class IndexLines {
  private readonly at = new Map<string, number>();
  private readonly set_ = new Map<string, string>();

  constructor(private readonly text: string) {}

  get size(): number {
    let n = this.set_.size;
    for (const id of this.at.keys()) if (!this.set_.has(id)) n++;
    return n;
  }
  has(id: string): boolean {
    return this.set_.has(id) || this.at.has(id);
  }
  get(id: string): string | undefined {
    const line = this.set_.get(id);
    if (line !== undefined) return line;
    const start = this.at.get(id);
    return start === undefined ? undefined : this.text.slice(start, this.text.indexOf("\n", start));
  }
  set(id: string, line: string): void {
    this.set_.set(id, line);
  }
  delete(id: string): void {
    this.set_.delete(id);
    this.at.delete(id);
  }
  *keys(): IterableIterator<string> {
    yield* this.set_.keys();
    for (const id of this.at.keys()) if (!this.set_.has(id)) yield id;
  }
  /** While parsing: where this run's line starts, if one was seen. */
  placed(id: string): number | undefined {
    return this.at.get(id);
  }
  /** While parsing: the line at `start` is this run's. */
  place(id: string, start: number): void {
    this.at.set(id, start);
  }
}

/**
 * The newest line of each run (by its manifest's mtime; on a tie, the later line), how many lines had
 * a head, and how many were garbage. `text` ends at a newline: a torn last line was cut off before.
 */
export function parseIndex(text: string): { lines: IndexLines; garbage: number; count: number } {
  const lines = new IndexLines(text);
  let garbage = 0;
  let count = 0;
  for (let start = 0; start < text.length;) {
    const end = text.indexOf("\n", start);
    SCAN.lastIndex = start;
    const m = SCAN.exec(text);
    // A torn line that a later append ran into holds two heads: garbage, though its first head is sound.
    const nextHead = text.indexOf(LINE_START, start + 1);
    if (m === null || (end >= 0 && (SCAN.lastIndex > end || (nextHead >= 0 && nextHead < end)))) garbage++;
    else {
      count++;
      const seen = lines.placed(m[1]!);
      if (seen === undefined || Number(m[2]) >= headOf(text, seen)!.key.mtimeMs) lines.place(m[1]!, start);
    }
    start = end < 0 ? text.length : end + 1;
  }
  return { lines, garbage, count };
}
