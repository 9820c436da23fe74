import { PassThrough } from "node:stream";
import type { GroupDeps } from "../../src/group/run-group.js";

/** What runGroup needs in a test: output thrown away, the host's PATH, no interrupts, and `over`. */
export function groupDeps(over: Partial<GroupDeps> = {}): GroupDeps {
  return {
    stdout: new PassThrough().resume(),
    stderr: new PassThrough().resume(),
    log: () => undefined,
    now: () => new Date(),
    host: { env: { PATH: process.env["PATH"] ?? "" }, execPath: process.execPath, nodeVersion: process.versions.node },
    interrupts: { on: () => undefined, off: () => undefined },
    mlxVersion: "0.0.0-test",
    preloadPath: "/nonexistent/preload.cjs",
    stopped: () => false,
    pruneCheckMs: 10,
    ...over,
  };
}
