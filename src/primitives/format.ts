// How mlx writes sizes, durations and metric values for people: the terminal and the HTML report alike.

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A metric value to six significant digits (integers whole); the non-finite ones as spelled; "-" for none. */
export function formatMetric(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return "-";
  return typeof value === "number" ? String(Number.isInteger(value) ? value : Number(value.toPrecision(6))) : value;
}
