import { BadInputError } from "../errors.js";

export type WhereOperator = ">=" | "<=" | ">" | "<" | "==" | "!=";

/** `accuracy>=0.9`: a final metric, an operator, a number. */
export interface WhereExpression {
  metric: string;
  op: WhereOperator;
  value: number;
}

// Two-character operators first, so ">=" is not read as ">" then "=0.9".
const PATTERN = /^\s*([^\s<>=!]+)\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$/;

/** Parses `--where` text; anything else is exit 2 showing the expected form. */
export function parseWhere(text: string): WhereExpression {
  const m = PATTERN.exec(text);
  const value = m ? Number(m[3]) : Number.NaN;
  if (!m || m[3]!.trim() === "" || !Number.isFinite(value)) {
    throw new BadInputError(
      `--where '${text}' is not a metric condition`,
      "Write <metric><op><number> with op one of >= <= > < == !=, e.g. --where 'accuracy>=0.9' (quote it for the shell).",
    );
  }
  return { metric: m[1]!, op: m[2] as WhereOperator, value };
}

/** Whether a final metric value meets the condition; a missing or non-numeric value ("NaN") never does. */
export function matchesWhere(expr: WhereExpression, actual: number | string | undefined): boolean {
  if (typeof actual !== "number") return false;
  switch (expr.op) {
    case ">=":
      return actual >= expr.value;
    case "<=":
      return actual <= expr.value;
    case ">":
      return actual > expr.value;
    case "<":
      return actual < expr.value;
    case "==":
      return actual === expr.value;
    case "!=":
      return actual !== expr.value;
  }
}
