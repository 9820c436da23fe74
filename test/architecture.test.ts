// The folder list is the architecture: these rules keep it true as the code grows.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = new URL("../src/", import.meta.url).pathname;

/** What each top-level folder of src/ may import from the others (errors.ts is open to all but sdk). */
const ALLOWED: Record<string, readonly string[]> = {
  cli: [
    "capture",
    "group",
    "pack",
    "replay",
    "inspect",
    "report",
    "record",
    "metrics",
    "facts",
    "bundle",
    "docker",
    "primitives",
    "errors",
  ],
  capture: ["record", "metrics", "facts", "bundle", "primitives", "errors"],
  group: ["capture", "record", "metrics", "facts", "bundle", "primitives", "errors", "sdk"],
  pack: ["record", "facts", "bundle", "docker", "primitives", "errors"],
  replay: ["record", "metrics", "facts", "bundle", "docker", "primitives", "errors"],
  inspect: ["record", "metrics", "facts", "primitives", "errors"],
  report: ["record", "metrics", "facts", "bundle", "primitives", "errors"],
  bundle: ["record", "primitives", "errors"],
  facts: ["record", "docker", "primitives", "errors"],
  metrics: ["record", "primitives", "errors"],
  docker: ["primitives", "errors"],
  record: ["primitives", "errors"],
  primitives: ["errors"],
  errors: [],
  sdk: [],
};

interface Violation {
  file: string;
  problem: string;
}

/** Every rule broken by `files` (path relative to src/ -> source text). */
function findViolations(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  for (const [file, text] of files) {
    const from = folderOf(file);
    if (!(from in ALLOWED)) {
      violations.push({ file, problem: `${from}/ is not a known folder of src/: add it to the architecture` });
      continue;
    }
    for (const match of text.matchAll(/(?:^|\s)(?:import|export)\b[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)) {
      const spec = match[1] ?? match[2]!;
      if (spec === "dockerode" && from !== "docker") violations.push({ file, problem: "imports dockerode outside src/docker/" });
      if (!spec.startsWith(".")) continue;
      const to = folderOf(posix.normalize(posix.join(posix.dirname(file), spec)));
      if (to !== from && !ALLOWED[from]!.includes(to)) violations.push({ file, problem: `${from}/ imports ${to}/ (${spec})` });
    }
    if (from !== "cli" && /\bprocess\.exit\s*\(/.test(text)) violations.push({ file, problem: "calls process.exit outside src/cli/" });
  }
  return violations;
}

function folderOf(path: string): string {
  const first = path.split("/")[0]!;
  return first.replace(/\.(c|m)?(ts|js)$/, "");
}

function sourceFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(c|m)?ts$/.test(name) && !name.endsWith(".test.ts")) files.set(relative(dir, path), readFileSync(path, "utf8"));
    }
  };
  walk(dir);
  return files;
}

describe("architecture", () => {
  it("src/ keeps its layers: no stage imports another (but group -> capture), layers never import stages, only cli exits", () => {
    expect(findViolations(sourceFiles(SRC))).toEqual([]);
  });

  it.each([
    ["a stage importing another", "replay/x.ts", 'import { packRun } from "../pack/pack-run.js";', "replay/ imports pack/"],
    [
      "a layer importing a stage",
      "bundle/x.ts",
      'import type { CaptureOptions } from "../capture/capture-options.js";',
      "bundle/ imports capture/",
    ],
    ["a lazy import of the CLI", "pack/x.ts", 'const m = await import("../cli/main.js");', "pack/ imports cli/"],
    [
      "a primitive importing the record",
      "primitives/x.ts",
      'import type { RunManifest } from "../record/types.js";',
      "primitives/ imports record/",
    ],
    ["dockerode outside the adapter", "replay/x.ts", 'import Docker from "dockerode";', "imports dockerode outside src/docker/"],
    ["an exit outside the CLI", "capture/x.ts", "process.exit(2);", "calls process.exit outside src/cli/"],
    ["an unknown folder", "util/x.ts", "", "util/ is not a known folder"],
  ])("catches %s", (_name, file, text, problem) => {
    const found = findViolations(new Map([[file, text]]));
    expect(found.map((v) => v.problem).join("\n")).toContain(problem);
  });

  it("lets group use capture and the CLI use every stage", () => {
    const files = new Map([
      ["group/x.ts", 'import { captureRun } from "../capture/capture-run.js";'],
      ["cli/x.ts", 'import { replayBundle } from "../replay/replay-bundle.js";\nprocess.exit(0);'],
    ]);
    expect(findViolations(files)).toEqual([]);
  });
});
