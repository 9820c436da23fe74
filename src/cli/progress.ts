import { formatBytes } from "./render-table.js";

/**
 * Progress for long steps on stderr: on a terminal, one line redrawn in place; otherwise a plain
 * line at most every few seconds (no spinners in logs). Byte counters show a rate.
 */
export class Progress {
  private readonly started = new Map<string, number>();
  private lastPrint = 0;
  private open = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly isTty = process.stderr.isTTY === true,
  ) {}

  step(line: string): void {
    this.endLine();
    this.stream.write(`${line}\n`);
  }

  bytes(label: string, bytes: number): void {
    const now = Date.now();
    if (!this.started.has(label)) this.started.set(label, now);
    if (now - this.lastPrint < (this.isTty ? 200 : 5000)) return;
    this.lastPrint = now;
    const seconds = Math.max((now - this.started.get(label)!) / 1000, 0.001);
    const text = `${label}: ${formatBytes(bytes)} (${formatBytes(bytes / seconds)}/s)`;
    if (this.isTty) {
      this.stream.write(`\r\x1b[K${text}`);
      this.open = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  endLine(): void {
    if (this.open) this.stream.write("\n");
    this.open = false;
  }
}
