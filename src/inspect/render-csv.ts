/**
 * RFC 4180 CSV, safe to open in a spreadsheet: every field that holds a comma, a quote, a carriage return or a newline is quoted,
 * quotes doubled; lines end in CRLF as the RFC asks (pandas and Python's csv read both).
 */
export function renderCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const field = (cell: string): string => {
    const text = guardFormula(cell);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [header, ...rows].map((r) => r.map(field).join(",") + "\r\n").join("");
}

/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return) as a formula: a name,
 * tag or param from someone else's record must not. Such text gets a leading apostrophe; numbers stay numbers.
 */
function guardFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) && Number.isNaN(Number(text)) ? `'${text}` : text;
}
