import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { CaptureDeps } from "../capture/capture-run.js";
import type { Probes } from "../capture/capture-probes.js";

/**
 * The first trial probes; the others reuse its answers (same host, code, dependencies and inputs
 * within one search) and get their own copies of the files it wrote: git.patch and lockfiles/.
 */
export function probeOnce(): NonNullable<CaptureDeps["sharedProbes"]> {
  let first: { folder: string; probes: Promise<Probes> } | undefined;
  return async (folder, probeHere) => {
    if (!first) {
      first = { folder, probes: probeHere() };
      return first.probes;
    }
    const probes = await first.probes;
    const files = [
      ...(probes.git?.available && probes.git.patch ? [probes.git.patch.file] : []),
      ...(probes.dependencies?.lockfiles.map((l) => l.copy) ?? []),
    ];
    for (const file of files) {
      await mkdir(dirname(join(folder, file)), { recursive: true });
      await copyFile(join(first.folder, file), join(folder, file));
    }
    return probes;
  };
}
