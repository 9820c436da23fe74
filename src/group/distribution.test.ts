import { describe, expect, it } from "vitest";
import { parseDistribution } from "./distribution.js";

describe("parseDistribution", () => {
  it.each([
    ["choice([8, 16, 32])", { kind: "choice", values: [8, 16, 32] }],
    [`choice(["adam", 'sgd', true])`, { kind: "choice", values: ["adam", "sgd", true] }],
    ["uniform(0.0, 0.5)", { kind: "uniform", low: 0, high: 0.5 }],
    ["loguniform(1e-4, 0.1)", { kind: "loguniform", low: 0.0001, high: 0.1 }],
    ["randint(10, 50)", { kind: "randint", low: 10, high: 50 }],
    ["quniform(0, 1, 0.25)", { kind: "quniform", low: 0, high: 1, q: 0.25 }],
    ["  uniform( -1 , +1 )  ", { kind: "uniform", low: -1, high: 1 }],
  ])("reads %s", (text, dist) => expect(parseDistribution(text, "p")).toEqual(dist));

  it.each([
    ["uniform(0, process.exit(9))", /param_space\.p: expected a number literal at column 12/],
    ["choice(require('child_process').execSync('touch /tmp/pwn'))", /expected '\['/],
    ["uniform(1, 0)", /low 1 is above high 0/],
    ["uniform(0, 1e999)", /bounds must be finite/],
    ["loguniform(0, 1)", /loguniform needs low > 0/],
    ["randint(1.5, 3)", /whole numbers/],
    ["quniform(0, 1, 0)", /step q > 0/],
    ["choice([])", /nothing to choose from/],
    ["normal(0, 1)", /expected choice, uniform, loguniform, randint or quniform at column 1/],
    ["uniform(0, 1) + 1", /expected the end of the expression at column 15/],
    ["uniform(0, 1", /expected '\)' at column 13/],
    ["choice(['a)", /unclosed '/],
  ])("refuses %s, naming where", (text, message) => {
    expect(() => parseDistribution(text, "p")).toThrow(message);
  });
});
