import type { PullListener } from "../pack/provide-base-image.js";
import type { OnProgress } from "../primitives/progress-event.js";

const DONE = /^(Download complete|Pull complete|Already exists|Extracting)$/;

/**
 * Folds the engine's per-layer pull events into one step's progress: the bytes downloaded of every
 * layer whose size is known so far (the total grows as layers announce themselves). Its end is the
 * step's one line, "pulled <ref>: 41.2 MiB in 6.3 s".
 */
export function pullProgress(ref: string, update: OnProgress): PullListener {
  const layers = new Map<string, { current: number; total: number }>();
  const step = `pulling ${ref}`;
  const sums = (): { done: number; total: number } => {
    let done = 0;
    let total = 0;
    for (const l of layers.values()) {
      done += l.current;
      total += l.total;
    }
    return { done, total };
  };
  update({ step, done: 0 });
  return {
    onEvent(event) {
      if (event.id === undefined) return;
      const layer = layers.get(event.id);
      if (event.status === "Downloading" && event.total !== undefined)
        layers.set(event.id, { current: event.current ?? 0, total: event.total });
      else if (layer && DONE.test(event.status)) layer.current = layer.total;
      else return;
      const { done, total } = sums();
      update({ step, done, ...(total > 0 ? { total } : {}) });
    },
    end() {
      const { done } = sums();
      update({ step, done, total: done, end: true });
    },
  };
}
