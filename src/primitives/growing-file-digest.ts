import { Worker } from "node:worker_threads";

// The worker's whole program. It runs from this string (eval) rather than from a file of its own, so
// that it works the same from src/ under the tests, from dist/ and from the bundled CLI.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { closeSync, openSync, readSync } = require("node:fs");
const { createHash } = require("node:crypto");
const fd = openSync(workerData.path, "r");
const hash = createHash("sha256");
const buffer = Buffer.allocUnsafe(4 << 20);
let done = 0;
parentPort.on("message", ({ upTo, last }) => {
  while (done < upTo) {
    const n = readSync(fd, buffer, 0, Math.min(buffer.length, upTo - done), done);
    if (n === 0) throw new Error("the file ended at byte " + done + ", before byte " + upTo + " was written");
    hash.update(buffer.subarray(0, n));
    done += n;
  }
  if (last) {
    closeSync(fd);
    parentPort.postMessage(hash.digest("hex"));
  }
});
`;

const ADVANCE_STEP_BYTES = 8 << 20;

/**
 * The sha256 of a file that another part of the process is still writing, computed on a second
 * thread: the writer says how far the file is written (`advance`), the worker reads those bytes back
 * (from the page cache) and hashes them. The writer's own thread never spends time on this hash.
 */
export class GrowingFileDigest {
  private readonly worker: Worker;
  private readonly result: Promise<string>;
  private told = 0;

  constructor(path: string) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path } });
    this.result = new Promise<string>((resolve, reject) => {
      this.worker.once("message", (digest: string) => resolve(digest));
      this.worker.once("error", reject);
      this.worker.once("exit", (code) => reject(new Error(`the sha256 worker stopped (exit ${code}) before the file was hashed`)));
    });
    this.result.catch(() => undefined); // read by digest(); a failure before then must not be unhandled
  }

  /** The first `upTo` bytes of the file are written: hash them (told in steps of 8 MiB at least, to keep messages few). */
  advance(upTo: number): void {
    if (upTo - this.told < ADVANCE_STEP_BYTES) return;
    this.told = upTo;
    this.worker.postMessage({ upTo, last: false });
  }

  /** The file is whole at `sizeBytes`: its sha256, once the worker has hashed every byte. */
  async digest(sizeBytes: number): Promise<string> {
    this.told = sizeBytes;
    this.worker.postMessage({ upTo: sizeBytes, last: true });
    try {
      return await this.result;
    } finally {
      await this.worker.terminate();
    }
  }

  /** Stops the worker without a result (the write failed). */
  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
