// The HTML around the plots: one self-contained page (inline CSS, inline SVG, no script, no network)
// that opens from a mail attachment. Every string from a record goes through escapeHtml.
import { renderSvg } from "./render-svg.js";
import type { Plot } from "./plot-specs.js";

/** A part of the page: a heading and its HTML, already escaped. */
export interface Section {
  readonly title: string;
  readonly html: string;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2329;margin:24px auto;max-width:1100px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e3e6ea;padding-bottom:4px}
.sub{color:#5b6670;margin:0 0 12px}table{border-collapse:collapse;margin:4px 0 8px}
td,th{border:1px solid #e3e6ea;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f5f7f9;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}code{font:12px ui-monospace,Menlo,monospace}
.verdict{font-size:18px;font-weight:700;padding:10px 14px;border-radius:6px;margin:12px 0}
.verdict.ok{background:#e6f4ea;color:#137333}.verdict.bad{background:#fce8e6;color:#a50e0e}
.bad-cell{color:#a50e0e;font-weight:600}.ok-cell{color:#137333}.muted{color:#5b6670}
.plots{display:flex;flex-wrap:wrap;gap:16px}figure.plot{margin:0;border:1px solid #e3e6ea;border-radius:6px;padding:8px}
figure.plot figcaption{font-weight:600;margin-bottom:4px}ul{margin:4px 0;padding-left:20px}`;

// No script may run, even one smuggled into a record: the page needs none.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** Text for HTML content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A table; `cells` are escaped here unless given as { html }. */
export function renderTable(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | { html: string }>>, id?: string): string {
  const cell = (c: string | { html: string }): string => (typeof c === "string" ? escapeHtml(c) : c.html);
  return (
    `<table${id ? ` id="${escapeHtml(id)}"` : ""}><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`
  );
}

/** Key/value rows as a two-column table. */
export function renderFacts(rows: ReadonlyArray<readonly [string, string]>, id?: string): string {
  return renderTable(
    ["", ""],
    rows.map(([k, v]) => [{ html: `<b>${escapeHtml(k)}</b>` }, v]),
    id,
  ).replace(/<thead>.*?<\/thead>/, "");
}

/** The plots as figures of inline SVG, each with its id and what it draws as data attributes. */
export async function renderPlots(plots: readonly Plot[]): Promise<string> {
  if (plots.length === 0) return `<p class="muted">Nothing to plot.</p>`;
  const figures: string[] = [];
  for (const p of plots) {
    const svg = await renderSvg(p.spec);
    figures.push(
      `<figure class="plot" id="${escapeHtml(p.id)}" data-series-count="${p.seriesCount}" data-point-count="${p.pointCount}" ` +
        `data-marker-count="${p.markerCount}"><figcaption>${escapeHtml(p.title)}</figcaption>${svg}</figure>`,
    );
  }
  return `<div class="plots">${figures.join("")}</div>`;
}

/** The whole page. `kind` is run, replay or group; the body carries it for tests and styles. */
export function renderPage(kind: string, title: string, subtitle: string, sections: readonly Section[]): string {
  return [
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${CSS}</style></head>`,
    `<body data-report="${escapeHtml(kind)}"><h1>${escapeHtml(title)}</h1><p class="sub">${escapeHtml(subtitle)}</p>`,
    ...sections.map((s) => `<section><h2>${escapeHtml(s.title)}</h2>${s.html}</section>`),
    "</body></html>",
    "",
  ].join("\n");
}
