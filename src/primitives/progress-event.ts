/**
 * One long step's progress as a stage reports it: `done` of `total` units (total absent when the
 * size is not known beforehand), and `end` once, when the step has finished. Stages report; the CLI
 * renders (a bar at a terminal, one line per finished step elsewhere).
 */
export interface ProgressEvent {
  /** What is under way, a verb in -ing and its object: "saving image". */
  readonly step: string;
  readonly done: number;
  readonly total?: number;
  /** Bytes unless told otherwise; "steps" for the steps of an image build. */
  readonly unit?: "bytes" | "steps";
  readonly end?: boolean;
}

/** Where a stage sends its progress events. */
export type OnProgress = (event: ProgressEvent) => void;
