import { BadInputError, describeError } from "../errors.js";
import { FORBIDDEN_KEYS } from "../record/forbidden-keys.js";
import { DEFAULT_ENV_ALLOWLIST } from "../record/redact.js";
import { parseSeed, validateSeedValue } from "./seed.js";
import type { RunConfig } from "./run-config.js";
import { DEFAULT_METRIC_PATTERN } from "../metrics/stdout-metrics.js";

/** What `mlx capture` needs, complete: the core never sees an undefined default. */
export interface CaptureOptions {
  readonly argv: readonly string[];
  readonly shell: boolean;
  readonly cwd: string;
  readonly name?: string;
  readonly tags: readonly string[];
  readonly params: Readonly<Record<string, unknown>>;
  readonly seed?: number;
  readonly seedPreload: boolean;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly metricFiles: readonly string[];
  readonly envAllow: readonly string[];
  /** null: stdout is not parsed for metrics. */
  readonly metricPattern: string | null;
  readonly maxUntrackedBytes: number;
  readonly includeSecretFiles: boolean;
  readonly tolerances: Readonly<Record<string, { rtol?: number; atol?: number }>>;
  readonly json: boolean;
  readonly drainTimeoutMs: number;
  readonly killGraceMs: number;
  /** Set for the trials of a search group. */
  readonly group?: { readonly id: string; readonly trial: number };
  /**
   * Where the command actually runs and its outputs are read, when it is not `cwd`: a trial's own copy of
   * the working tree. The record still names `cwd` (relative to the repository root), so replay runs it there.
   */
  readonly workdir?: string;
  /** A run id chosen in advance (a search watches a trial's series while it runs); a fresh one when absent. */
  readonly runId?: string;
  /** Extra environment for the command (a trial's CUDA_VISIBLE_DEVICES), recorded like any other variable. */
  readonly extraEnv?: Readonly<Record<string, string>>;
}

/** The options as commander hands them over: strings and arrays, nothing checked yet. */
export interface RawCaptureOptions {
  param: string[];
  params?: string;
  seed?: string;
  name?: string;
  tag: string[];
  input: string[];
  output: string[];
  metricsFile: string[];
  env: string[];
  shell: boolean;
  seedPreload: boolean;
  stdoutMetrics: boolean;
  metricPattern?: string;
  maxUntrackedSize: string;
  includeSecretFiles: boolean;
  json: boolean;
}

/** Merges the command line over the config file (the command line wins) into complete options. */
export function normalizeCaptureOptions(
  raw: RawCaptureOptions,
  argv: readonly string[],
  cwd: string,
  config: RunConfig = {},
  configWhere = "config",
): CaptureOptions {
  const fromConfig = config.run ?? config.command;
  const command = argv.length > 0 ? [...argv] : fromConfig === undefined ? [] : commandFromConfig(fromConfig, configWhere);
  if (command.length === 0) {
    throw new BadInputError("no command to capture", "Usage: mlx capture [options] -- <command> [args...]  (or give `run:` in --config)");
  }
  const params: Record<string, unknown> = { ...config.params };
  if (raw.params !== undefined) Object.assign(params, parseParamsJson(raw.params));
  for (const assignment of raw.param) {
    const [key, value] = parseParamAssignment(assignment);
    params[key] = value;
  }
  const seed =
    raw.seed !== undefined
      ? parseSeed(raw.seed)
      : config.seed !== undefined
        ? validateSeedValue(config.seed, `${configWhere}: seed`)
        : undefined;
  const name = raw.name ?? config.name;
  return {
    argv: command,
    shell: raw.shell || (config.shell ?? false),
    cwd,
    ...(name === undefined ? {} : { name }),
    tags: union(config.tags, raw.tag),
    params,
    ...(seed === undefined ? {} : { seed }),
    seedPreload: raw.seedPreload,
    inputs: union(config.inputs, raw.input),
    outputs: union(config.outputs, raw.output),
    metricFiles: union(config.metrics, raw.metricsFile),
    envAllow: union(DEFAULT_ENV_ALLOWLIST, config.env, raw.env),
    metricPattern: raw.stdoutMetrics ? (raw.metricPattern ?? DEFAULT_METRIC_PATTERN) : null,
    maxUntrackedBytes: parseSize(raw.maxUntrackedSize, "--max-untracked-size"),
    includeSecretFiles: raw.includeSecretFiles,
    tolerances: config.tolerances ?? {},
    json: raw.json,
    drainTimeoutMs: 2000,
    killGraceMs: 10_000,
  };
}

function union(...lists: Array<readonly string[] | undefined>): string[] {
  return [...new Set(lists.flatMap((l) => l ?? []))];
}

/** `--param lr=0.01`: the value is read as JSON when it is JSON (numbers, booleans, lists), else kept as text. */
export function parseParamAssignment(text: string): [string, unknown] {
  const eq = text.indexOf("=");
  const key = eq > 0 ? text.slice(0, eq).trim() : "";
  if (!key) throw new BadInputError(`--param '${text}' is not name=value`, "Example: --param lr=0.01");
  if (FORBIDDEN_KEYS.has(key)) throw new BadInputError(`--param: the name '${key}' is not allowed`, "Rename the parameter.");
  const valueText = text.slice(eq + 1);
  try {
    return [key, JSON.parse(valueText)];
  } catch {
    return [key, valueText];
  }
}

export function parseParamsJson(text: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BadInputError(`--params is not valid JSON: ${describeError(error)}`, `Example: --params '{"lr": 0.01, "epochs": 20}'`, {
      cause: error,
    });
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new BadInputError("--params must be a JSON object", `Example: --params '{"lr": 0.01}'`);
  }
  for (const key of Object.keys(data)) {
    if (FORBIDDEN_KEYS.has(key)) throw new BadInputError(`--params: the name '${key}' is not allowed`, "Rename the parameter.");
  }
  return data as Record<string, unknown>;
}

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gib: 1024 ** 3,
};

/** "10MiB", "500k", "2G", "1048576" -> bytes. */
export function parseSize(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[m?.[2]?.toLowerCase() ?? "?"];
  if (!m || unit === undefined) throw new BadInputError(`${flag} '${text}' is not a size`, "Examples: 10MiB, 500k, 2G");
  return Math.round(Number(m[1]) * unit);
}

/** A config's `run:` as argv: a list is taken as is; a string is split like a shell would, without running one. */
export function commandFromConfig(run: string | string[], where: string): string[] {
  const argv = typeof run === "string" ? splitCommandLine(run, where) : [...run];
  // `run: [train.js]`, as ml-experiment writes it: a lone script runs with its interpreter.
  if (argv.length === 1 && /\.(m?js|cjs)$/.test(argv[0]!)) return ["node", argv[0]!];
  if (argv.length === 1 && /\.py$/.test(argv[0]!)) return ["python3", argv[0]!];
  return argv;
}

/** Splits "node train.js --name 'a b'" into words with shell quoting rules; no expansion of any kind. */
export function splitCommandLine(text: string, where: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote)
    throw new BadInputError(`${where}: run: unclosed ${quote} quote in '${text}'`, "Close the quote, or give run: as a list of words.");
  if (inWord) words.push(word);
  return words;
}
