/**
 * "90s", "10m", "2h", "1h30m", or a bare number of seconds -> milliseconds; null when the text is
 * not such a duration or is zero (a limit of nothing is no limit).
 */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return positive(Number(trimmed) * 1000);
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(trimmed);
  if (!match || trimmed === "") return null;
  const [, h = "0", m = "0", s = "0"] = match;
  return positive((Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000);
}

function positive(ms: number): number | null {
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}
