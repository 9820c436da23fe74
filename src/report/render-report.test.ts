import { describe, expect, it } from "vitest";
import { groupManifest, runManifest } from "../../test/helpers/records.js";
import type { MetricPoint, ReplayReport } from "../record/types.js";
import { renderGroupReport } from "./group-report.js";
import { escapeHtml } from "./render-page.js";
import { renderReplayReport } from "./replay-report.js";
import { renderRunReport } from "./run-report.js";

const EVIL = `</svg><script>alert(1)</script><img src=x onerror=alert(2)>"'&`;
const pts = (name: string, values: number[]): MetricPoint[] => values.map((value, step) => ({ name, value, step, time: 0, source: "sdk" }));

/** The figure of one plot: its data attributes and the marks its SVG draws. */
function figures(
  html: string,
): Array<{ id: string; series: number; points: number; markers: number; lines: number; symbols: number; rules: number }> {
  return [
    ...html.matchAll(
      new RegExp(
        '<figure class="plot" id="([^"]+)" data-series-count="(\\d+)" data-point-count="(\\d+)" ' +
          'data-marker-count="(\\d+)">([\\s\\S]*?)</figure>',
        "g",
      ),
    ),
  ].map((m) => {
    const svg = m[5]!;
    const rules = [...svg.matchAll(/<g class="mark-rule role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)].reduce(
      (n, g) => n + (g[1]!.match(/<line/g)?.length ?? 0),
      0,
    );
    return {
      id: m[1]!,
      series: Number(m[2]),
      points: Number(m[3]),
      markers: Number(m[4]),
      lines: svg.match(/aria-roledescription="line mark"/g)?.length ?? 0,
      symbols: svg.match(/aria-roledescription="point"/g)?.length ?? 0,
      rules,
    };
  });
}

function replayReport(overrides: Partial<ReplayReport> = {}): ReplayReport {
  return {
    apiVersion: "mlx/v1",
    kind: "Replay",
    createdAt: "2026-11-27T08:00:00.000Z",
    mlxVersion: "0.1.0",
    bundle: { path: "/nowhere/bundle.tar", imageId: "sha256:abc" },
    run: "20261123-150752-000-1a2b3c",
    verdict: "diverged",
    container: { exitCode: 0, originalExitCode: 0, oomKilled: false, durationMs: 1200 },
    metrics: [{ name: "loss", original: 0.5, replay: 0.7, absDiff: 0.2, relDiff: 0.4, verdict: "diverged" }],
    series: [{ name: "loss", step: 2, original: 0.5, replay: 0.7 }],
    outputs: [{ path: "model.json", original: "a".repeat(64), replay: "b".repeat(64), verdict: "different" }],
    drift: [{ what: "cpu", original: "Xeon", replay: "EPYC", same: false }],
    warnings: [],
    reasons: ["loss: 0.5 -> 0.7"],
    ...overrides,
  };
}

describe("the report pages", () => {
  it("escapeHtml leaves no markup", () => expect(escapeHtml(EVIL)).not.toMatch(/[<>"']/));

  it("a run's untrusted strings never become markup, and the page loads nothing and runs nothing", async () => {
    const m = runManifest({
      name: EVIL,
      tags: [EVIL],
      params: { [EVIL]: EVIL },
      metrics: { final: { [EVIL]: 1 }, series: "metrics.jsonl", points: 3, files: [] },
    });
    const html = await renderRunReport(m, pts(EVIL, [3, 2, 1]));
    expect(html).not.toMatch(/<script|<img/i);
    // Attributes of every tag, quoted values left out (escaping keeps quotes out of them): no handler, nothing loaded.
    const attributes = [...html.replace(/"[^"]*"/g, '""').matchAll(/<[^>]*>/g)].map((m) => m[0]).join("");
    expect(attributes).not.toMatch(/\s(on\w+|src|href)=/i);
    expect(html).toContain("Content-Security-Policy");
    expect(figures(html)).toEqual([{ id: "series-0", series: 1, points: 3, markers: 0, lines: 1, symbols: 3, rules: 0 }]);
  });

  it("a run draws one plot per series, with as many points as it reported", async () => {
    const html = await renderRunReport(runManifest(), [...pts("loss", [3, 2, 1, 0.5]), ...pts("acc", [0.1, 0.5])]);
    expect(figures(html).map((f) => [f.id, f.lines, f.symbols])).toEqual([
      ["series-0", 1, 4],
      ["series-1", 1, 2],
    ]);
  });

  it("a replay shows the verdict first and overlays both sides with the first divergence marked", async () => {
    const html = await renderReplayReport(replayReport(), {
      original: pts("loss", [3, 2, 0.5]),
      replay: pts("loss", [3, 2, 0.7]),
      originalNote: null,
    });
    expect(html.indexOf('id="verdict"')).toBeLessThan(html.indexOf('id="metrics"'));
    expect(html).toContain('data-verdict="diverged"');
    expect(figures(html)).toEqual([{ id: "series-0", series: 2, points: 6, markers: 1, lines: 2, symbols: 6, rules: 1 }]);
    expect(html).toMatch(/id="drift"[\s\S]*differs/);
  });

  it("a replay whose original series is gone draws the replay's and says why", async () => {
    const html = await renderReplayReport(replayReport({ verdict: "reproduced", series: [], reasons: [] }), {
      original: null,
      replay: pts("loss", [3, 2]),
      originalNote: "The original series is not in /nowhere/bundle.tar",
    });
    expect(html).toContain('id="series-note"');
    expect(figures(html)).toEqual([{ id: "series-0", series: 1, points: 2, markers: 0, lines: 1, symbols: 2, rules: 0 }]);
  });

  it("a group ranks its trials, marks the failed one, and draws the best-so-far curve", async () => {
    const g = groupManifest([0.5, null, 0.9, 0.7], 2);
    g.trials = g.trials.map((t) => ({ ...t, params: { lr: t.index / 10 } }));
    const html = await renderGroupReport(g);
    const ranked = [...html.matchAll(/<tr><td>(\d+)<\/td><td>(\d+)<\/td>/g)].map((m) => Number(m[2]));
    expect(ranked).toEqual([2, 3, 0, 1]);
    expect(html).toMatch(/status-failed bad-cell/);
    const f = figures(html);
    expect(f.map((x) => x.id)).toEqual(["best-so-far", "param-0"]);
    expect(f[0]).toMatchObject({ series: 1, lines: 1, points: 3, symbols: 3 });
    expect(f[1]).toMatchObject({ points: 3, symbols: 3 });
  });
});
