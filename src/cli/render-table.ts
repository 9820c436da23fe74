import { sanitizeLine } from "../primitives/sanitize-text.js";
/** A plain-text table: columns padded to their widest cell, two spaces apart. */
export function renderTable(headers: readonly string[], given: ReadonlyArray<readonly string[]>): string {
  // Cells come from records (names, tags, params), some of them someone else's: never let them drive the terminal.
  const rows = given.map((r) => r.map((c) => sanitizeLine(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}

export { formatBytes, formatDuration, formatMetric } from "../primitives/format.js";
