import cliProgress from "cli-progress";
import type { Colours } from "./render-colour.js";
import type { ProgressEvent } from "../primitives/progress-event.js";
import type { PullListener } from "../pack/provide-base-image.js";
import { pullProgress } from "./render-pull.js";
import { formatBytes, formatDuration } from "./render-table.js";

/** What the renderer writes to: stderr, or a fake of it in tests. */
export interface ProgressStream {
  write(text: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressOptions {
  /** --quiet: neither progress nor step lines; errors and the result are printed by the caller. */
  readonly quiet: boolean;
  readonly colours: Colours;
  readonly now?: () => number;
}

const PAST: Readonly<Record<string, string>> = {
  building: "built",
  checking: "checked",
  extracting: "extracted",
  installing: "installed",
  loading: "loaded",
  pulling: "pulled",
  reading: "read",
  saving: "saved",
  verifying: "verified",
  writing: "wrote",
};

/** The one line a finished step leaves: "saved image: 212.4 MiB in 3.1 s". */
export function renderStepDone(step: string, done: number, unit: ProgressEvent["unit"], elapsedMs: number): string {
  const [verb = "", ...rest] = step.split(" ");
  const past = PAST[verb] ?? (verb.endsWith("ing") ? `${verb.slice(0, -3)}ed` : verb);
  return `${[past, ...rest].join(" ")}: ${renderAmount(done, unit)} in ${formatDuration(elapsedMs)}`;
}

export function renderAmount(n: number, unit: ProgressEvent["unit"]): string {
  return unit === "steps" ? `${n} step${n === 1 ? "" : "s"}` : formatBytes(n);
}

/** Whether a step's total is known yet: a bar shows a percentage from then on. */
interface Sized {
  known: boolean;
}

/**
 * Progress on stderr. At a terminal, a bar (cli-progress) with a percentage and an estimate when the
 * total is known, or the amount and rate when it is not; the bar gives way to one line when the step
 * ends. Elsewhere (a log, a pipe), no updates at all: one line per finished step, with its size and
 * time. Quiet: nothing.
 */
export class ProgressRenderer {
  private readonly now: () => number;
  private current: {
    step: string;
    unit: ProgressEvent["unit"];
    startedMs: number;
    bar: cliProgress.SingleBar | null;
    sized: Sized;
  } | null = null;

  constructor(
    private readonly stream: ProgressStream,
    private readonly options: ProgressOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** A step line ("building the image on node:20"), printed above a bar that is showing. */
  step(text: string): void {
    if (this.options.quiet) return;
    const bar = this.current?.bar;
    if (bar) this.stream.write("\r\x1b[K");
    this.stream.write(`${text}\n`);
    bar?.render();
  }

  update(event: ProgressEvent): void {
    if (this.options.quiet) return;
    if (this.current?.step !== event.step) this.start(event);
    const current = this.current!;
    const total = event.total === undefined ? undefined : Math.max(event.total, event.done);
    // A pull learns its size as its layers announce themselves: the bar turns to a percentage at once.
    const sizedNow = total !== undefined && !current.sized.known;
    if (total !== undefined) current.sized.known = true;
    if (current.bar) {
      if (total !== undefined) current.bar.setTotal(total);
      current.bar.update(event.done);
      if (sizedNow) current.bar.render();
    }
    if (!event.end) return;
    this.stopBar();
    this.current = null;
    const elapsedMs = this.now() - current.startedMs;
    this.stream.write(`${this.options.colours.green(renderStepDone(event.step, event.done, current.unit, elapsedMs))}\n`);
  }

  /** A base-image pull as one step, "pulling <ref>", with a percentage once its layers' sizes are known. */
  pull(ref: string): PullListener {
    return pullProgress(ref, (event) => this.update(event));
  }

  /** Clears a bar still showing (a step cut short by an error or a signal): the caller prints why. */
  close(): void {
    this.stopBar();
    this.current = null;
  }

  private start(event: ProgressEvent): void {
    this.stopBar();
    const unit = event.unit ?? "bytes";
    const sized: Sized = { known: event.total !== undefined };
    const bar = this.stream.isTTY === true ? this.newBar(event.step, unit, sized) : null;
    this.current = { step: event.step, unit, startedMs: this.now(), bar, sized };
    bar?.start(Math.max(event.total ?? 0, event.done), event.done);
  }

  private stopBar(): void {
    this.current?.bar?.stop();
    if (this.current) this.current.bar = null;
  }

  private newBar(step: string, unit: ProgressEvent["unit"], sized: Sized): cliProgress.SingleBar {
    const c = this.options.colours;
    const format = (_options: unknown, params: cliProgress.Params): string => {
      const seconds = Math.max((this.now() - params.startTime) / 1000, 0.001);
      if (!sized.known) return `${step} ${renderAmount(params.value, unit)} (${renderAmount(params.value / seconds, unit)}/s)`;
      const width = 24;
      const filled = Math.round(Math.min(Math.max(params.progress, 0), 1) * width);
      const bar = c.cyan("█".repeat(filled)) + c.dim("░".repeat(width - filled));
      const percent = `${Math.floor(params.progress * 100)}%`.padStart(4);
      const eta = Number.isFinite(params.eta) && params.value > 0 ? `, ETA ${formatDuration(params.eta * 1000)}` : "";
      return `${step} ${bar} ${percent} ${renderAmount(params.value, unit)} of ${renderAmount(params.total, unit)}${eta}`;
    };
    // The fake streams of tests are enough for cli-progress: write, isTTY and columns.
    const stream = this.stream as unknown as NodeJS.WritableStream;
    return new cliProgress.SingleBar({ stream, format, clearOnComplete: true, hideCursor: false, fps: 10 });
  }
}
