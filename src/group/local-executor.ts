// Trials as in-process captures on this host: the default executor.
import { hostname } from "node:os";
import type { Writable } from "node:stream";
import { type CaptureDeps, captureRun } from "../capture/capture-run.js";
import type { InterruptSource } from "../capture/runner.js";
import { prefixLines } from "../primitives/prefix-lines.js";
import type { RunningTrial, TrialExecutor, TrialJob, TrialOutcome } from "./executor.js";

export interface LocalExecutorDeps extends Omit<CaptureDeps, "echoStdout" | "echoStderr" | "interactive"> {
  stdout: Writable;
  stderr: Writable;
}

/**
 * Each trial is a captureRun with its output prefixed by its index. Stopping one (pruned, or cancelled)
 * sends its command SIGTERM through the capture's own interrupt path, then a kill after the grace period;
 * the reviewer's Ctrl-C reaches every trial through `deps.interrupts` as before.
 */
export function localExecutor(deps: LocalExecutorDeps): TrialExecutor {
  const running = new Set<{ stop: (reason: "pruned" | "interrupted") => void; outcome: Promise<TrialOutcome> }>();
  const placement = { executor: "local" as const, nodes: [hostname()] };
  return {
    name: "local",
    start(job: TrialJob): RunningTrial {
      const handlers = new Set<(signal: NodeJS.Signals) => void>();
      let signalled = false;
      const mark = (): void => void (signalled = true);
      deps.interrupts.on(mark);
      const interrupts: InterruptSource = {
        on: (handler) => {
          handlers.add(handler);
          deps.interrupts.on(handler);
        },
        off: (handler) => {
          handlers.delete(handler);
          deps.interrupts.off(handler);
        },
      };
      const prefix = `[${job.options.group?.trial ?? job.index}] `;
      let ended: () => void = () => undefined;
      const exited = new Promise<void>((resolve) => (ended = resolve));
      const outcome: Promise<TrialOutcome> = captureRun(job.options, {
        ...deps,
        interrupts,
        echoStdout: prefixLines(prefix, deps.stdout),
        echoStderr: prefixLines(prefix, deps.stderr),
        interactive: false,
        onCommandEnd: () => ended(),
      })
        // A capture refused before its command started (bad input) rejects: the search stops with that error.
        .then((result): TrialOutcome => ({
          manifest: result.manifest,
          exitCode: result.exitCode,
          placement,
          ...(result.recordError ? { recordError: result.recordError } : {}),
        }))
        .finally(() => {
          deps.interrupts.off(mark);
          running.delete(entry);
        });
      const stop = (): void => {
        if (signalled) return; // already stopping: a second signal would kill at once
        signalled = true;
        for (const handler of [...handlers]) handler("SIGTERM");
      };
      const entry = { stop, outcome };
      running.add(entry);
      return { outcome, stop, exited };
    },
    async cancelAll() {
      const left = [...running];
      for (const trial of left) trial.stop("interrupted");
      await Promise.all(left.map((t) => t.outcome));
    },
  };
}
