import { describe, expect, it } from "vitest";
import type { BundleManifest, RunManifest } from "../record/types.js";
import { runManifest } from "../../test/helpers/records.js";
import { checkRecords } from "./check-records.js";

const RUN = "20261123-150752-000-1a2b3c";
const output = (path: string): RunManifest["outputs"][number] => ({ path, kind: "file", sizeBytes: 1, sha256: "a".repeat(64) });

function bundle(over: Partial<BundleManifest> = {}): BundleManifest {
  return {
    apiVersion: "mlx/v1",
    kind: "Bundle",
    created: "2026-11-23T15:07:52.000Z",
    mlxVersion: "0.1.0",
    runs: [RUN],
    image: { id: `sha256:${"b".repeat(64)}`, file: "image.tar", baseImage: "node:20", dependencies: "image" },
    command: { argv: ["node", "train.js"], workdir: "/app" },
    data: [],
    links: [],
    ...over,
  };
}

describe("checkRecords", () => {
  it("accepts records that agree with bundle.yaml", () => {
    expect(() => checkRecords(bundle(), [runManifest({ outputs: [output("model.json"), output("out/b.txt")] })])).not.toThrow();
  });

  it.each<[string, BundleManifest, RunManifest[], RegExp]>([
    ["a record whose id is not the bundle's run", bundle(), [runManifest({ id: "other-run" })], /names run .* says it is run other-run/],
    ["a missing record", bundle({ runs: [RUN, "second"] }), [runManifest()], /names run second/],
    ["two outputs with the same path", bundle(), [runManifest({ outputs: [output("m.json"), output("m.json")] })], /output m\.json twice/],
    ["an output path not written plainly", bundle(), [runManifest({ outputs: [output("model//w.json")] })], /not written plainly/],
    ["an output inside another", bundle(), [runManifest({ outputs: [output("model"), output("model/x")] })], /model and model\/x overlap/],
    ["':' in an output path", bundle(), [runManifest({ outputs: [output("a:/etc")] })], /output "a:\/etc" holds ':'/],
    ["',' in an output path", bundle(), [runManifest({ outputs: [output("a,b")] })], /holds ':', ','/],
    ["a newline in an output path", bundle(), [runManifest({ outputs: [output("a\nb")] })], /holds/],
    [
      "':' in a data path",
      bundle({ data: [{ path: "d:/host", sizeBytes: 1, sha256: "c".repeat(64) }] }),
      [runManifest()],
      /data "d:\/host"/,
    ],
    [
      "':' in a metrics file",
      bundle(),
      [runManifest({ metrics: { final: {}, series: "metrics.jsonl", files: ["m:x.json"] } as RunManifest["metrics"] })],
      /metrics file/,
    ],
    [
      "an empty command",
      bundle(),
      [runManifest({ command: { argv: [""], redactedArgs: [], shell: false, cwd: "." } })],
      /records no command/,
    ],
  ])("refuses %s with exit 2", (_name, manifest, runs, message) => {
    let error: unknown;
    try {
      checkRecords(manifest, runs);
    } catch (e) {
      error = e;
    }
    expect((error as Error | undefined)?.message).toMatch(message);
    expect((error as { exitCode?: number }).exitCode).toBe(2);
  });
});
