import { BadInputError } from "../errors.js";

/** One parameter's search space, as ml-experiment writes it: `loguniform(0.0001, 0.1)`. */
export type Distribution =
  | { kind: "choice"; values: ReadonlyArray<number | string | boolean> }
  | { kind: "uniform"; low: number; high: number }
  | { kind: "loguniform"; low: number; high: number }
  /** Whole numbers low..high, both included (as Optuna's IntDistribution). */
  | { kind: "randint"; low: number; high: number }
  /** round(uniform(low, high) / q) * q. */
  | { kind: "quniform"; low: number; high: number; q: number };

type Token =
  | { type: "ident"; text: string; col: number }
  | { type: "number"; value: number; col: number }
  | { type: "string"; value: string; col: number }
  | { type: "punct"; text: string; col: number }
  | { type: "end"; col: number };

/**
 * Parses a distribution with a small grammar (never eval: a spec is untrusted text):
 *   dist   := name "(" args ")"          name in choice, uniform, loguniform, randint, quniform
 *   choice := "choice" "(" "[" value ("," value)* "]" ")"
 *   value  := number | "string" | 'string' | true | false
 * Errors name the parameter and the column.
 */
export function parseDistribution(text: string, param: string): Distribution {
  const tokens = tokenize(text, param);
  let at = 0;
  const peek = (): Token => tokens[at]!;
  const fail = (what: string, token: Token = peek()): never => {
    throw new BadInputError(
      `param_space.${param}: expected ${what} at column ${token.col + 1} of ${JSON.stringify(text)}`,
      "Write e.g. uniform(0.0, 0.5), loguniform(1e-4, 0.1), randint(10, 50), quniform(0, 1, 0.1), choice([8, 16, 32]).",
    );
  };
  const expect = (punct: string): void => {
    const t = peek();
    if (t.type !== "punct" || t.text !== punct) fail(`'${punct}'`);
    at++;
  };
  const number = (): number => {
    const t = peek();
    if (t.type !== "number") return fail("a number literal");
    at++;
    return t.value;
  };
  const value = (): number | string | boolean => {
    const t = peek();
    at++;
    if (t.type === "number" || t.type === "string") return t.value;
    if (t.type === "ident" && (t.text === "true" || t.text === "false")) return t.text === "true";
    return fail("a number, a quoted string, true or false", t);
  };

  const name = peek();
  if (name.type !== "ident") fail("a distribution name");
  at++;
  expect("(");
  let dist: Distribution;
  const kind = (name as { text: string }).text;
  if (kind === "choice") {
    expect("[");
    const values: Array<number | string | boolean> = [];
    if (!(peek().type === "punct" && (peek() as { text: string }).text === "]")) {
      values.push(value());
      while (peek().type === "punct" && (peek() as { text: string }).text === ",") {
        at++;
        values.push(value());
      }
    }
    expect("]");
    dist = { kind, values };
  } else if (kind === "uniform" || kind === "loguniform" || kind === "randint") {
    const low = number();
    expect(",");
    const high = number();
    dist = { kind, low, high };
  } else if (kind === "quniform") {
    const low = number();
    expect(",");
    const high = number();
    expect(",");
    dist = { kind, low, high, q: number() };
  } else {
    return fail("choice, uniform, loguniform, randint or quniform", name);
  }
  expect(")");
  if (peek().type !== "end") fail("the end of the expression");
  return checkDistribution(dist, param);
}

/** Bounds that make sense (Optuna's rules): low <= high, finite, log needs low > 0, integers for randint. */
export function checkDistribution(dist: Distribution, param: string): Distribution {
  const bad = (why: string): never => {
    throw new BadInputError(`param_space.${param}: ${why}`, "Fix the bounds of that parameter.");
  };
  if (dist.kind === "choice") {
    if (dist.values.length === 0) bad("choice([]) has nothing to choose from");
    return dist;
  }
  if (!Number.isFinite(dist.low) || !Number.isFinite(dist.high)) bad("bounds must be finite numbers");
  if (dist.low > dist.high) bad(`low ${dist.low} is above high ${dist.high}`);
  if (dist.kind === "loguniform" && dist.low <= 0) bad(`loguniform needs low > 0, got ${dist.low}`);
  if (dist.kind === "randint" && (!Number.isInteger(dist.low) || !Number.isInteger(dist.high))) bad("randint bounds must be whole numbers");
  if (dist.kind === "quniform" && !(dist.q > 0 && Number.isFinite(dist.q))) bad(`quniform needs a step q > 0, got ${dist.q}`);
  return dist;
}

function tokenize(text: string, param: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if ("()[],".includes(c)) {
      tokens.push({ type: "punct", text: c, col: i++ });
    } else if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0)
        throw new BadInputError(`param_space.${param}: unclosed ${c} at column ${i + 1} of ${JSON.stringify(text)}`, "Close the quote.");
      tokens.push({ type: "string", value: text.slice(i + 1, end), col: i });
      i = end + 1;
    } else {
      const m = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?/.exec(text.slice(i)) ?? /^[A-Za-z_]\w*/.exec(text.slice(i));
      if (!m) {
        // Left for the parser, which then says what it expected there: errors come in reading order.
        tokens.push({ type: "punct", text: c, col: i++ });
        continue;
      }
      tokens.push(/^[A-Za-z_]/.test(m[0]) ? { type: "ident", text: m[0], col: i } : { type: "number", value: Number(m[0]), col: i });
      i += m[0].length;
    }
  }
  tokens.push({ type: "end", col: text.length });
  return tokens;
}
