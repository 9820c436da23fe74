// The HTML report in a real browser (Debian's chromium, driven by playwright-core): a real run, a
// real search group and a real replay (one pack, one replay, real Docker). Each plot must draw the
// lines, points and divergence rules its data attributes promise; the page must load nothing.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerReady } from "../helpers/docker.js";
import { makeRepo } from "../helpers/git-repo.js";
import { runMlx } from "../helpers/mlx.js";
import { reviewerBundle, type ReviewerBundle } from "../helpers/reviewer-bundle.js";

const CHROMIUM = process.env["MLX_CHROMIUM"] ?? "/usr/bin/chromium";
const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;
const TRIAL = new URL("../fixtures/bin/trial.mjs", import.meta.url).pathname;
const EPOCHS = 6;

function browserReady(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env["CI"]) throw new Error(`CI=true but ${CHROMIUM} is missing: run scripts/setup-browser.sh`);
  console.warn(`\n*** SKIPPING the report's browser test: no ${CHROMIUM}. Run \`bash scripts/setup-browser.sh\` (root, Debian). ***\n`);
  return false;
}

const ready = browserReady() && dockerReady();

/** The few DOM members the page checks use (the project compiles without the DOM library). */
interface PageElement {
  id: string;
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): { length: number };
}

interface DrawnPlot {
  id: string;
  title: string;
  series: number;
  points: number;
  markers: number;
  lines: number;
  symbols: number;
  rules: number;
}

/** Each plot of the page as the browser drew it, and every request the page made beyond itself. */
async function openReport(
  browser: Browser,
  file: string,
  screenshot?: string,
): Promise<{ plots: DrawnPlot[]; requests: string[]; kind: string }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  page.on("request", (r) => void (r.url() !== url && requests.push(r.url())));
  try {
    await page.goto(url);
    const plots = await page.$$eval("figure.plot", (figures) =>
      figures.map((f) => {
        const el = f as unknown as PageElement;
        return {
          id: el.id,
          title: el.querySelector("figcaption")?.textContent ?? "",
          series: Number(el.dataset["seriesCount"]),
          points: Number(el.dataset["pointCount"]),
          markers: Number(el.dataset["markerCount"]),
          lines: el.querySelectorAll('svg [aria-roledescription="line mark"]').length,
          symbols: el.querySelectorAll('svg [aria-roledescription="point"]').length,
          rules: el.querySelectorAll("svg g.mark-rule.role-mark line").length,
        };
      }),
    );
    const kind = await page.$eval("body", (b) => (b as unknown as PageElement).dataset["report"] ?? "");
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { plots, requests, kind };
  } finally {
    await page.close();
  }
}

/** Every plot draws what it says it draws. */
function expectDrawnAsDeclared(plots: DrawnPlot[]): void {
  for (const p of plots) {
    expect({ id: p.id, lines: p.lines, symbols: p.symbols, rules: p.rules }).toEqual({
      id: p.id,
      lines: p.series,
      symbols: p.points,
      rules: p.markers,
    });
  }
}

describe.skipIf(!ready)("mlx report, seen in a real browser", () => {
  let browser: Browser;
  let repo: Awaited<ReturnType<typeof makeRepo>>;
  let reviewer: ReviewerBundle;
  let groupFile: string;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    mkdirSync(ARTIFACTS, { recursive: true });
    repo = await makeRepo({
      "train.mjs": "for (let i = 1; i <= 8; i++) console.log(`loss=${(1 / i).toFixed(4)} acc=${(i / 10).toFixed(2)}`);\n",
      "trial.mjs": readFileSync(TRIAL, "utf8"),
    });
    reviewer = await reviewerBundle(EPOCHS);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await repo?.[Symbol.asyncDispose]();
    await reviewer?.[Symbol.asyncDispose]();
  });

  it("a run: one plot per metric series, a point per step", async () => {
    const captured = await runMlx(["capture", "--param", "lr=0.1", "--", "node", "train.mjs"], { cwd: repo.path });
    expect(captured.exitCode, String(captured.stderr)).toBe(0);
    const r = await runMlx(["report", "latest", "-o", "run.html"], { cwd: repo.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout).trim()).toBe(join(repo.path, "run.html"));
    const { plots, requests, kind } = await openReport(browser, join(repo.path, "run.html"));
    expect(kind).toBe("run");
    expect(requests).toEqual([]);
    expect(plots.map((p) => [p.title, p.series, p.points])).toEqual([
      ["loss", 1, 8],
      ["acc", 1, 8],
    ]);
    expectDrawnAsDeclared(plots);
  });

  it("a search group: the best-so-far curve and a scatter per parameter, failed trials left out of the plots", async () => {
    const spec = ["name: look", "kind: group", "num_trials: 6", "sampler: random", "seed: 5", "concurrency: 2", "params:", "  mode: fail"];
    const rest = [
      "param_space:",
      "  x: uniform(-1, 1)",
      "  y: choice([1, 2])",
      "metric:",
      "  name: score",
      "  direction: maximize",
      "run: node trial.mjs",
      "",
    ];
    writeFileSync(join(repo.path, "s.yaml"), [...spec, ...rest].join("\n"));
    const searched = await runMlx(["capture", "--config", "s.yaml", "--json"], { cwd: repo.path });
    const group = JSON.parse(String(searched.stdout)) as { id: string; trials: Array<{ status: string; metric: number | null }> };
    const finished = group.trials.filter((t) => typeof t.metric === "number").length;
    expect(
      group.trials.some((t) => t.status === "failed"),
      "the search should have failed trials to mark",
    ).toBe(true);
    groupFile = join(repo.path, "group.html");
    const r = await runMlx(["report", group.id, "-o", "group.html"], { cwd: repo.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const { plots, requests, kind } = await openReport(browser, groupFile);
    expect(kind).toBe("group");
    expect(requests).toEqual([]);
    expect(plots.map((p) => [p.id, p.points])).toEqual([
      ["best-so-far", finished],
      ["param-0", finished],
      ["param-1", finished],
    ]);
    expectDrawnAsDeclared(plots);
    expect(readFileSync(groupFile, "utf8")).toMatch(/status-failed bad-cell/);
  });

  it("a replay: the verdict first, original and replay overlaid per series; the screenshot is kept", async () => {
    const replayed = await runMlx(["replay", "bundle.tar", "--out", "review"], { cwd: reviewer.folder });
    expect(replayed.exitCode, String(replayed.stderr)).toBe(0);
    const r = await runMlx(["report", "review"], { cwd: reviewer.folder });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const file = join(reviewer.folder, "review", "report.html");
    expect(String(r.stdout).trim()).toBe(file);
    const shot = join(ARTIFACTS, "replay-report.png");
    const { plots, requests, kind } = await openReport(browser, file, shot);
    expect(kind).toBe("replay");
    expect(requests).toEqual([]);
    const loss = plots.find((p) => p.title === "loss");
    // Both sides, read back from the bundle (the replay's own copy of the original is gone): EPOCHS points each.
    expect(loss).toMatchObject({ series: 2, points: 2 * EPOCHS, markers: 0 });
    expectDrawnAsDeclared(plots);
    const html = readFileSync(file, "utf8");
    expect(html.indexOf('id="verdict"')).toBeLessThan(html.indexOf('id="metrics"'));
    expect(html).toContain('id="drift"');
    expect(existsSync(shot)).toBe(true);
    if (process.env["MLX_UPDATE_SCREENSHOT"]) copyFileSync(shot, new URL("../../docs/images/replay-report.png", import.meta.url).pathname);
  });

  it("an unknown id is bad input (exit 2), and nothing is written", async () => {
    const r = await runMlx(["report", "no-such-run", "-o", "x.html"], { cwd: repo.path });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/no run 'no-such-run'|no-such-run/);
    expect(existsSync(join(repo.path, "x.html"))).toBe(false);
  });
});
