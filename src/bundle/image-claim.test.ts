import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { claimImage } from "./image-claim.js";

const folder = mkdtempSync(join(tmpdir(), "mlx-claims-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A tiny engine: one image set; `provide` loads when absent, as provideImage does. */
function engine(present: boolean) {
  const state = { present, loads: 0, removals: 0 };
  const provide = async (): Promise<boolean> => {
    await new Promise((r) => setTimeout(r, 20)); // a load takes time: the other replay must wait for it
    if (state.present) return false;
    state.present = true;
    state.loads++;
    return true;
  };
  const remove = async (): Promise<void> => {
    state.present = false;
    state.removals++;
  };
  return { state, provide, remove };
}

describe("claimImage: concurrent replays of one bundle share its image", () => {
  it("loads once, keeps the image while any replay uses it, and the last one out removes it", async () => {
    const e = engine(false);
    const [a, b] = await Promise.all([
      claimImage("sha256:1", e.provide, e.remove, folder),
      claimImage("sha256:1", e.provide, e.remove, folder),
    ]);
    expect(e.state.loads).toBe(1);
    await a.release();
    expect(e.state).toMatchObject({ present: true, removals: 0 });
    await b.release();
    expect(e.state).toMatchObject({ present: false, removals: 1 });
  });

  it("never removes an image the engine had before (the reviewer's own)", async () => {
    const e = engine(true);
    const a = await claimImage("sha256:2", e.provide, e.remove, folder);
    await a.release();
    expect(e.state).toMatchObject({ present: true, removals: 0 });
  });

  it("forgets users that died: a crashed replay does not keep the image forever", async () => {
    writeFileSync(join(folder, "3.json"), JSON.stringify({ loaded: true, users: [{ pid: 2 ** 22 + 1, token: "dead" }] }));
    writeFileSync(join(folder, "3.json.lock"), String(2 ** 22 + 1)); // its lock too
    const e = engine(false);
    const a = await claimImage("sha256:3", e.provide, e.remove, folder);
    await a.release();
    expect(e.state).toMatchObject({ loads: 1, removals: 1 });
  });
});
