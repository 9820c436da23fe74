/**
 * What the probes take from the process mlx runs in: its environment (PATH is where helpers are
 * looked for) and the node that runs mlx. The CLI reads it once (src/cli/host-process.ts) and passes
 * it down, so every probe stays a function of its arguments.
 */
export interface HostProcess {
  readonly env: NodeJS.ProcessEnv;
  /** The node running mlx, and its version: the runtime probe need not start it again to ask. */
  readonly execPath: string;
  readonly nodeVersion: string;
}
