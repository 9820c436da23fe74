import { describe, expect, it } from "vitest";
import { parseYamlStrict } from "./parse-yaml.js";

describe("parseYamlStrict", () => {
  it("reads YAML 1.2 with a BOM-free, CRLF file", () => {
    expect(parseYamlStrict("a: 1\r\nb: [x, y]\r\nc: no\r\n", "f.yaml")).toEqual({ a: 1, b: ["x", "y"], c: "no" });
  });

  it("keeps 0777 a number in YAML 1.2, not octal", () => {
    expect(parseYamlStrict("seed: 0777\n", "f")).toEqual({ seed: 777 });
  });

  it.each([
    ["duplicate keys", "num_trials: 5\nnum_trials: 500\n", /f\.yaml:2:1: .*[Uu]nique|f\.yaml:2:1/],
    ["%YAML 1.1", "%YAML 1.1\n---\nsampler: no\n", /%YAML 1\.1 is not accepted/],
    ["several documents", "a: 1\n---\nb: 2\n", /holds 2 YAML documents/],
    ["an unknown tag", "f: !!js/function 'x'\n", /f\.yaml:1:\d+/],
    ["tab indentation", "a:\n\tb: 1\n", /f\.yaml:2:\d+/],
    ["__proto__", "param_space:\n  __proto__:\n    polluted: 1\n", /key '__proto__' at \/param_space/],
    ["constructor", "constructor: 1\n", /key 'constructor'/],
    ["an alias bomb", aliasBomb(), /alias|resource/i],
  ])("refuses %s with the position", (_, text, message) => {
    expect(() => parseYamlStrict(text, "f.yaml")).toThrow(message);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("refuses a file over the size cap before parsing", () => {
    expect(() => parseYamlStrict("a: " + "x".repeat(1024 * 1024 + 1), "big.yaml")).toThrow(/larger than/);
  });

  it("refuses deep nesting with an error, not a crash", () => {
    expect(() => parseYamlStrict("[".repeat(20000), "deep.yaml")).toThrow(/deep\.yaml: brackets nested 20000 deep/);
    expect(parseYamlStrict("a: " + "[".repeat(60) + "]".repeat(60), "ok.yaml")).toBeTruthy();
  });
});

function aliasBomb(): string {
  const lines = ["a: &a [x,x,x,x,x,x,x,x,x]"];
  for (let i = 1; i <= 6; i++) {
    const prev = String.fromCharCode(96 + i);
    const cur = String.fromCharCode(97 + i);
    lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(",")}]`);
  }
  return lines.join("\n") + "\n";
}
