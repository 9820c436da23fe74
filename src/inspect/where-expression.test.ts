import { describe, expect, it } from "vitest";
import { BadInputError } from "../errors.js";
import { matchesWhere, parseWhere } from "./where-expression.js";

describe("parseWhere", () => {
  it.each([
    ["accuracy>=0.9", { metric: "accuracy", op: ">=", value: 0.9 }],
    ["loss <= 1e-3", { metric: "loss", op: "<=", value: 0.001 }],
    ["val/acc>0.5", { metric: "val/acc", op: ">", value: 0.5 }],
    ["epochs<10", { metric: "epochs", op: "<", value: 10 }],
    ["  f1 == -1 ", { metric: "f1", op: "==", value: -1 }],
    ["steps!=3", { metric: "steps", op: "!=", value: 3 }],
  ])("reads %s", (text, expected) => {
    expect(parseWhere(text)).toEqual(expected);
  });

  it.each(["accuracy", "accuracy>", ">=0.9", "accuracy=>0.9", "accuracy=0.9", "accuracy>=high", "accuracy>=NaN", "a b>=1", "acc>=1 2", ""])(
    "refuses %j with exit 2 and the expected form",
    (text) => {
      let thrown: unknown;
      try {
        parseWhere(text);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(BadInputError);
      expect((thrown as BadInputError).exitCode).toBe(2);
      expect((thrown as BadInputError).hint).toMatch(/accuracy>=0\.9/);
    },
  );
});

describe("matchesWhere", () => {
  it.each([
    ["acc>=0.9", 0.9, true],
    ["acc>=0.9", 0.89, false],
    ["acc<=0.9", 0.9, true],
    ["acc>0.9", 0.9, false],
    ["acc<0.9", 0.1, true],
    ["acc==2", 2, true],
    ["acc!=2", 2, false],
    ["acc!=2", 3, true],
    ["acc>=0", "NaN", false],
    ["acc!=0", "NaN", false],
    ["acc>=0", undefined, false],
  ] as const)("%s against %s is %s", (text, actual, expected) => {
    expect(matchesWhere(parseWhere(text), actual)).toBe(expected);
  });
});
