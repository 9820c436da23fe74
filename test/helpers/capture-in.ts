import { PassThrough } from "node:stream";
import { normalizeCaptureOptions, type RawCaptureOptions } from "../../src/capture/capture-options.js";
import { type CaptureDeps, captureRun } from "../../src/capture/capture-run.js";

/** The options of `mlx capture` as commander gives them with no flag set, with `over` on top. */
export function rawCaptureOptions(over: Partial<RawCaptureOptions> = {}): RawCaptureOptions {
  return {
    param: [],
    tag: [],
    input: [],
    output: [],
    metricsFile: [],
    env: [],
    shell: false,
    seedPreload: true,
    stdoutMetrics: true,
    maxUntrackedSize: "10MiB",
    includeSecretFiles: false,
    json: false,
    ...over,
  };
}

/** Captures `argv` in `cwd` through captureRun itself: a real child process, no built CLI needed. */
export async function captureIn(cwd: string, argv: string[], over: Partial<RawCaptureOptions> = {}) {
  const logs: string[] = [];
  const deps: CaptureDeps = {
    echoStdout: new PassThrough().resume(),
    echoStderr: new PassThrough().resume(),
    log: (line) => logs.push(line),
    now: () => new Date(),
    host: { env: { PATH: process.env["PATH"] ?? "" }, execPath: process.execPath, nodeVersion: process.versions.node },
    interrupts: { on: () => undefined, off: () => undefined },
    mlxVersion: "0.0.0-test",
    preloadPath: "/nonexistent/preload.cjs",
    interactive: false,
  };
  const result = await captureRun(normalizeCaptureOptions(rawCaptureOptions({ seedPreload: false, ...over }), argv, cwd), deps);
  return { ...result, logs };
}
