import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeGpus } from "./probe-gpu.js";

const FIXTURES = fileURLToPath(new URL("../../test/fixtures/nvidia-smi/", import.meta.url));
let dir: string;

/** An nvidia-smi stand-in on its own PATH folder: the query's CSV with arguments, the banner without. */
async function fakeSmi(folder: string, script: string): Promise<string> {
  const path = join(dir, folder);
  await mkdir(path);
  await writeFile(join(path, "nvidia-smi"), `#!/bin/sh\n${script}\n`);
  await chmod(join(path, "nvidia-smi"), 0o755);
  return path;
}

beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), "mlx-gpu-"))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe("probeGpus", () => {
  it("runs the nvidia-smi found on the given PATH, query and banner", async () => {
    const path = await fakeSmi(
      "ok",
      `if [ $# -gt 0 ]; then cat '${FIXTURES}titan-450.query.csv'; else cat '${FIXTURES}titan-450.banner.txt'; fi`,
    );
    expect(await probeGpus(5000, path)).toMatchObject({ devices: [{ index: 0, name: "TITAN Xp" }], driver: "450.57", cuda: "11.0" });
  });

  it("says nvidia-smi is missing when it is not on that PATH", async () => {
    await expect(probeGpus(5000, join(dir, "empty"))).rejects.toThrow("nvidia-smi not found on PATH");
  });

  it("rejects with nvidia-smi's own words when it fails", async () => {
    const path = await fakeSmi(
      "failing",
      "echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.' >&2; exit 9",
    );
    await expect(probeGpus(5000, path)).rejects.toThrow("could not communicate with the NVIDIA driver");
  });
});
