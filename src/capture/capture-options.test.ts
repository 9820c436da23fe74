import { describe, expect, it } from "vitest";
import { BadInputError } from "../errors.js";
import { commandFromConfig, normalizeCaptureOptions, parseParamAssignment, parseSize, splitCommandLine } from "./capture-options.js";
import { parseSeed } from "./seed.js";
import { rawCaptureOptions } from "../../test/helpers/capture-in.js";

const raw = rawCaptureOptions;

describe("normalizeCaptureOptions", () => {
  it("lets the command line win over the config file, and merges lists", () => {
    const options = normalizeCaptureOptions(
      raw({ param: ["lr=0.1", "name=abc"], params: '{"epochs": 5, "lr": 0.5}', seed: "7", tag: ["cli"], input: ["b"] }),
      [],
      "/w",
      { name: "from-file", run: "node train.js --x 'a b'", params: { lr: 1, hidden: 8 }, seed: 3, tags: ["file"], inputs: ["a"] },
    );
    expect(options.argv).toEqual(["node", "train.js", "--x", "a b"]);
    expect(options.params).toEqual({ lr: 0.1, hidden: 8, epochs: 5, name: "abc" });
    expect(options.seed).toBe(7);
    expect(options.name).toBe("from-file");
    expect(options.tags).toEqual(["file", "cli"]);
    expect(options.inputs).toEqual(["a", "b"]);
    expect(options.envAllow).toContain("CUDA_VISIBLE_DEVICES");
  });

  it("prefers the command after -- to the config's run", () => {
    expect(normalizeCaptureOptions(raw(), ["python", "x.py"], "/w", { run: "node y.js" }).argv).toEqual(["python", "x.py"]);
  });

  it("refuses a capture without a command", () => {
    expect(() => normalizeCaptureOptions(raw(), [], "/w")).toThrow(BadInputError);
  });

  it("turns off stdout metrics with --no-stdout-metrics", () => {
    expect(normalizeCaptureOptions(raw({ stdoutMetrics: false }), ["true"], "/w").metricPattern).toBeNull();
  });

  it.each([
    [{ params: "[1,2]" }, /must be a JSON object/],
    [{ params: "{bad" }, /not valid JSON/],
    [{ params: '{"__proto__": {"x": 1}}' }, /not allowed/],
    [{ param: ["novalue"] }, /not name=value/],
    [{ param: ["constructor=1"] }, /not allowed/],
    [{ maxUntrackedSize: "lots" }, /not a size/],
  ])("refuses %j", (over, message) => {
    expect(() => normalizeCaptureOptions(raw(over), ["true"], "/w")).toThrow(message);
    expect(({} as Record<string, unknown>)["x"]).toBeUndefined();
  });
});

describe("parseSeed", () => {
  it.each(["0", "42", "4294967295"])("accepts %s", (s) => expect(parseSeed(s)).toBe(Number(s)));
  it.each(["-1", "1.5", "abc", "99999999999999999999", "4294967296", ""])("refuses %j naming --seed and the range", (s) => {
    expect(() => parseSeed(s)).toThrow(/--seed must be a whole number from 0 to 4294967295/);
  });
});

describe("small parsers", () => {
  it.each([
    ["lr=0.01", ["lr", 0.01]],
    ["layers=[1,2]", ["layers", [1, 2]]],
    ["flag=true", ["flag", true]],
    ["name=resnet", ["name", "resnet"]],
    ["expr=a=b", ["expr", "a=b"]],
    ["empty=", ["empty", ""]],
  ])("parseParamAssignment(%s)", (text, expected) => expect(parseParamAssignment(text)).toEqual(expected));

  it.each([
    ["10MiB", 10 * 1024 * 1024],
    ["500k", 500_000],
    ["2G", 2e9],
    ["1048576", 1048576],
  ])("parseSize(%s)", (text, bytes) => expect(parseSize(text, "--x")).toBe(bytes));

  it.each([
    [`node train.js --name "a b" 'c d' e\\ f`, ["node", "train.js", "--name", "a b", "c d", "e f"]],
    [`echo '$(touch /tmp/pwn)' ""`, ["echo", "$(touch /tmp/pwn)", ""]],
    [`  spaced   out  `, ["spaced", "out"]],
  ])("splitCommandLine(%s)", (text, argv) => expect(splitCommandLine(text, "cfg")).toEqual(argv));

  it("refuses an unclosed quote", () => expect(() => splitCommandLine(`node "x`, "cfg")).toThrow(/unclosed " quote/));

  it("runs a lone script with its interpreter", () => {
    expect(commandFromConfig(["examples/iris/train.js"], "cfg")).toEqual(["node", "examples/iris/train.js"]);
    expect(commandFromConfig("train.py", "cfg")).toEqual(["python3", "train.py"]);
    expect(commandFromConfig("./run.sh", "cfg")).toEqual(["./run.sh"]);
  });
});
