import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

/** A file that is not a regular file within the cap: it was never read. */
export class UntrustedFileError extends Error {
  constructor(
    message: string,
    readonly kind: "missing" | "not-regular" | "too-large",
  ) {
    super(message);
    this.name = "UntrustedFileError";
  }
}

// No link is followed (O_NOFOLLOW: a planted symlink fails with ELOOP), and opening a FIFO or a
// device never waits for a writer (O_NONBLOCK); fstat then judges the handle itself, and every read
// goes through that handle, so nothing can be swapped between the check and the read.
const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Opens a file someone else (a container, a bundle) could have written: only a regular file of at
 * most `maxBytes`, reached without following a link at its last component. The caller closes the
 * handle. Refusals are UntrustedFileError saying what was found.
 */
export async function openRegularFile(path: string, maxBytes: number): Promise<{ handle: FileHandle; sizeBytes: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UntrustedFileError("was not written", "missing");
    if (code === "ELOOP" || code === "EMLINK") throw new UntrustedFileError("is a symbolic link: never followed", "not-regular");
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new UntrustedFileError(`is not a regular file (${kindOf(info)}): never read`, "not-regular");
    if (info.size > maxBytes) throw new UntrustedFileError(`is larger than ${maxBytes} bytes (${info.size}): not read`, "too-large");
    return { handle, sizeBytes: info.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The whole content of such a file; one that grows past the cap while it is read is refused too. */
export async function readRegularFile(path: string, maxBytes: number): Promise<Buffer> {
  const { handle, sizeBytes } = await openRegularFile(path, maxBytes);
  try {
    const buffer = Buffer.alloc(Math.min(sizeBytes, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) throw new UntrustedFileError("grew while it was read: not read", "too-large");
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw new UntrustedFileError(`grew past ${maxBytes} bytes while read: not read`, "too-large");
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

function kindOf(info: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  return info.isDirectory() ? "a folder" : info.isFIFO() ? "a FIFO" : info.isSocket() ? "a socket" : "a device";
}

/** The sha256 of such a file, streamed through the one handle: memory stays flat whatever its size. */
export async function sha256RegularFile(path: string, maxBytes: number): Promise<string> {
  const { createHash } = await import("node:crypto");
  const { handle } = await openRegularFile(path, maxBytes);
  const hash = createHash("sha256");
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}
