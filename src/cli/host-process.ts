import type { HostProcess } from "../facts/host-process.js";

/** The process mlx runs in, read once here and passed down: probes are functions of their arguments. */
export function readHostProcess(): HostProcess {
  return { env: process.env, execPath: process.execPath, nodeVersion: process.versions.node };
}
