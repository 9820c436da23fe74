// Who may remove an image that replay loaded, when several replays of one bundle run at once.
//
// Chosen: a claim file per image id under os.tmpdir()/mlx-images/, changed only under a lock file,
// holding whether mlx loaded the image and the replays (by pid) using it. Checking for running
// containers before removing would race: another replay may have found the image present and not
// yet started its container. With claims, the last replay out removes the image, and only when an
// mlx replay loaded it; an image the reviewer already had is never removed. Entries of processes
// that died are dropped, as is a lock whose holder died.

import { randomUUID } from "node:crypto";
import { lstat, mkdir, open, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EnvironmentError } from "../errors.js";
import { processAlive } from "../primitives/process-alive.js";

interface ClaimState {
  loaded: boolean;
  users: Array<{ pid: number; token: string }>;
}

export interface ImageClaim {
  readonly imageId: string;
  /** Gives the claim back; the last user of an image mlx loaded removes it with `remove`. */
  release(): Promise<void>;
}

export const CLAIMS_FOLDER = join(tmpdir(), "mlx-images");
const POLL_MS = 100;

/**
 * Claims `imageId` for this process. `provide` runs under the lock: it makes the image present and
 * says whether it loaded (or built) it, so two replays never both load, and none removes the image
 * between another's check and its container.
 */
export async function claimImage(
  imageId: string,
  provide: () => Promise<boolean>,
  remove: (imageId: string) => Promise<void>,
  folder = CLAIMS_FOLDER,
): Promise<ImageClaim> {
  const token = randomUUID();
  const file = join(await claimsFolder(folder), `${imageId.replace(/^sha256:/, "")}.json`);
  await underLock(file, async () => {
    const state = await readState(file);
    const loaded = await provide();
    state.loaded ||= loaded;
    state.users.push({ pid: process.pid, token });
    await writeState(file, state);
  });
  let released = false;
  return {
    imageId,
    release: async () => {
      if (released) return;
      released = true;
      await underLock(file, async () => {
        const state = await readState(file);
        state.users = state.users.filter((u) => u.token !== token);
        if (state.users.length > 0) return writeState(file, state);
        if (state.loaded) await remove(imageId);
        await unlink(file).catch(() => undefined);
      });
    },
  };
}

/** The folder of claim files: made 0700, and refused when it is a link or another user's. */
async function claimsFolder(folder: string): Promise<string> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const info = await lstat(folder);
  if (!info.isDirectory() || (process.getuid && info.uid !== process.getuid()))
    throw new EnvironmentError(`${folder} is not a folder of this user`, "Remove it, then replay again.");
  return folder;
}

async function readState(file: string): Promise<ClaimState> {
  const text = await readFile(file, "utf8").catch(() => null);
  const parsed = text === null ? null : (JSON.parse(text) as Partial<ClaimState>);
  const users = Array.isArray(parsed?.users) ? parsed.users.filter((u) => processAlive(u.pid)) : [];
  // With every user gone (crashed), what they loaded is no longer anybody's: the next claimer owns it.
  return { loaded: users.length > 0 && parsed?.loaded === true, users };
}

async function writeState(file: string, state: ClaimState): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(state), { mode: 0o600 });
  await rename(temp, file);
}

/** Runs `action` holding `<file>.lock` (O_EXCL, holding our pid); a lock whose holder died is taken over. */
async function underLock<T>(file: string, action: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  for (;;) {
    try {
      const handle = await open(lock, "wx", 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(await readFile(lock, "utf8").catch(() => ""));
      if (Number.isInteger(holder) && holder > 0 && !processAlive(holder)) await unlink(lock).catch(() => undefined);
      else await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
  try {
    return await action();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}
