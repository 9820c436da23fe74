import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** The temp name used beside `target`: same folder, so the rename never crosses devices (EXDEV). */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

/**
 * Writes `data` to `target` so that a reader sees the old file or the new one, never a part:
 * temp file in the same folder, fsync, rename, fsync the folder. The temp file is removed on failure.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const temp = tempPathFor(target);
  let renamed = false;
  try {
    const handle = await open(temp, "wx", 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    renamed = true;
    await syncFolder(dirname(target));
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
}

/** fsync a folder so that a rename inside it survives a crash. */
export async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
