/**
 * RFC 4180 CSV: every field that holds a comma, a quote, a carriage return or a newline is quoted,
 * quotes doubled; lines end in CRLF as the RFC asks (pandas and Python's csv read both).
 */
export function renderCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const field = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  return [header, ...rows].map((r) => r.map(field).join(",") + "\r\n").join("");
}
