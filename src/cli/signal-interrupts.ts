import type { InterruptSource } from "../capture/runner.js";

/** The signals that ask a captured command to stop: Ctrl-C, a kill of mlx, a closed terminal. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * mlx's own stop signals as an interrupt source. One process listener a signal relays to every
 * handler, however many trials run at once; while any handler listens, a signal no longer ends mlx
 * (each run forwards it to its command and writes its record first).
 */
export function signalInterrupts(
  signals: readonly NodeJS.Signals[] = STOP_SIGNALS,
  target: Pick<NodeJS.EventEmitter, "on" | "off"> = process,
): InterruptSource {
  const handlers = new Set<(signal: NodeJS.Signals) => void>();
  const relay = (signal: NodeJS.Signals): void => {
    for (const handler of [...handlers]) handler(signal);
  };
  return {
    on(handler) {
      if (handlers.size === 0) signals.forEach((s) => target.on(s, relay));
      handlers.add(handler);
    },
    off(handler) {
      if (!handlers.delete(handler) || handlers.size > 0) return;
      signals.forEach((s) => target.off(s, relay));
    },
  };
}
