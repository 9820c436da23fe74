// Secrets never reach disk (see docs/threat-model.md). An allowlist decides which variables are kept
// (as Sacred does); these patterns only refuse values that look secret even when asked for.

export const REDACTED = "***";

/** Variables kept by default: they change results and are never secrets. */
export const DEFAULT_ENV_ALLOWLIST = [
  "NODE_ENV",
  "CUDA_VISIBLE_DEVICES",
  "NVIDIA_VISIBLE_DEVICES",
  "CUBLAS_WORKSPACE_CONFIG",
  "OMP_NUM_THREADS",
  "MKL_NUM_THREADS",
  "OPENBLAS_NUM_THREADS",
  "TF_CPP_MIN_LOG_LEVEL",
  "TF_ENABLE_ONEDNN_OPTS",
  "TF_DETERMINISTIC_OPS",
  "PYTORCH_CUDA_ALLOC_CONF",
  "TZ",
  "LANG",
  "LC_ALL",
] as const;

const SECRET_NAME =
  /(SECRET|TOKEN|PASSW(OR)?D|PASSPHRASE|CREDENTIAL|API_?KEY|ACCESS_?KEY|PRIVATE|AUTH|SESSION|COOKIE|_KEY$|^KEY$|DSN|DATABASE_URL|_PROXY$)/i;
const SECRET_VALUE = [
  /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, // scheme://user:password@host
  /\b(ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{4,}/,
  /\bsk-[A-Za-z0-9_-]{4,}/,
  /\bhf_[A-Za-z0-9]{4,}/,
  /\bxox[abposr]-[A-Za-z0-9-]{4,}/,
  /\bwk_[A-Za-z0-9_]{4,}/,
  /\b(AKIA|ASIA)[A-Z0-9]{4,}/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./, // a JWT
];

export function looksSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

export function looksSecretValue(value: string): boolean {
  return SECRET_VALUE.some((pattern) => pattern.test(value));
}

/** Keeps allowlisted variables whose name and value do not look secret; names refused are listed. */
export function selectEnv(
  env: Readonly<Record<string, string | undefined>>,
  allow: readonly string[],
): { vars: Record<string, string>; refused: string[] } {
  const vars: Record<string, string> = {};
  const refused: string[] = [];
  for (const name of [...new Set(allow)].sort()) {
    const value = env[name];
    if (value === undefined) continue;
    if (looksSecretName(name) || looksSecretValue(value)) refused.push(name);
    else vars[name] = value;
  }
  return { vars, refused };
}

const SECRET_FLAG = /^--?[\w-]*(key|token|secret|password|passwd|credential|auth)[\w-]*$/i;

/** Words that make a key (a parameter, a JSON key, a NAME= assignment) secret on their own, or as a pair. */
const SECRET_WORDS = new Set(
  ["secret", "token", "password", "passwd", "pwd", "passphrase", "credential", "credentials"].concat([
    "apikey",
    "auth",
    "authorization",
    "cookie",
    "dsn",
    "privatekey",
    "accesskey",
    "secretkey",
  ]),
);
const SECRET_PAIRS = /\b(api key|access key|private key|secret key|client secret|database url|session key|signing key)\b/;

/**
 * A key names a secret when one of its words does: `api_key`, `AWS_SECRET_ACCESS_KEY`, `hfToken`,
 * `db.password`, a bare `key`; not `max_tokens`, `tokenizer`, `key_size` (word by word, not substrings).
 */
export function looksSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  if (words.length === 1 && words[0] === "key") return true;
  return words.some((w) => SECRET_WORDS.has(w)) || SECRET_PAIRS.test(words.join(" "));
}

/** `NAME=value` (at the start of a word), `Authorization: ...` and other credential headers, `Bearer xyz`/`Basic xyz`. */
const EMBEDDED: Array<[RegExp, (match: string, ...groups: string[]) => string]> = [
  [
    /(^|\s)([A-Za-z_][\w.-]*)=(\S+)/g,
    (m, lead, name, value) => (looksSecretKey(name!) && value !== REDACTED ? `${lead}${name}=${REDACTED}` : m),
  ],
  [
    /\b((?:proxy-)?authorization|x-api-key|api-key|x-auth-token|cookie)(\s*:\s*)(.+)$/gim,
    (_m, header, sep) => `${header}${sep}${REDACTED}`,
  ],
  [
    // A URL's query: ?access_token=...&api_key=...
    /([?&])([\w.-]+)=([^&#\s]+)/g,
    (m, lead, name, value) => (looksSecretKey(name!) && value !== REDACTED ? `${lead}${name}=${REDACTED}` : m),
  ],
  [/\b([Bb]earer|BEARER)(\s+)(?!\*\*\*)[A-Za-z0-9._~+/=-]{4,}/g, (_m, scheme, space) => `${scheme}${space}${REDACTED}`],
  [/\b(Basic)(\s+)[A-Za-z0-9+/]{8,}={0,2}(?![\w+/=])/g, (_m, scheme, space) => `${scheme}${space}${REDACTED}`],
];

/** One argument with secrets inside it replaced: assignments, headers, tokens, JSON values under secret keys. */
function redactArgument(arg: string): string {
  const json = redactJsonText(arg);
  if (json !== undefined) return json;
  let out = arg;
  for (const [pattern, replace] of EMBEDDED) out = out.replace(pattern, replace as (m: string, ...g: string[]) => string);
  return out;
}

/** A JSON object or array whose values under secret keys are replaced, re-serialised; undefined when not JSON or unchanged. */
function redactJsonText(arg: string): string | undefined {
  if (!/^\s*[[{]/.test(arg)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(arg);
  } catch {
    return undefined;
  }
  const { value, paths } = redactParams(data);
  return paths.length > 0 ? JSON.stringify(value) : undefined;
}

/**
 * Replaces secret-looking arguments with "***": the value after a flag such as `--api-key`, the
 * value part of `--token=...` and `AWS_SECRET_ACCESS_KEY=...`, credential headers (`-H
 * "Authorization: Bearer ..."`), values under secret keys in JSON arguments, and any argument whose
 * text looks like a credential. Returns the positions changed.
 */
export function redactArgv(argv: readonly string[]): { argv: string[]; redacted: number[] } {
  const out = [...argv];
  const redacted: number[] = [];
  for (let i = 0; i < out.length; i++) {
    const arg = out[i]!;
    const eq = arg.indexOf("=");
    if (arg.startsWith("-") && eq > 0 && SECRET_FLAG.test(arg.slice(0, eq))) {
      out[i] = `${arg.slice(0, eq + 1)}${REDACTED}`;
      redacted.push(i);
    } else if (SECRET_FLAG.test(arg) && i + 1 < out.length && !out[i + 1]!.startsWith("-")) {
      out[i + 1] = REDACTED;
      redacted.push(i + 1);
      i++;
    } else if (looksSecretValue(arg)) {
      out[i] = REDACTED;
      redacted.push(i);
    } else {
      const cleaned = redactArgument(arg);
      if (cleaned !== arg) {
        out[i] = cleaned;
        redacted.push(i);
      }
    }
  }
  return { argv: out, redacted };
}

/**
 * Parameters with the values under secret-looking keys (at any depth) replaced by "***", and the
 * dotted paths replaced: `{ api_key: "sk-..", model: { password: "x" } }` -> paths ["api_key", "model.password"].
 * A text value that looks like a credential is replaced too, whatever its key.
 */
export function redactParams(params: unknown, prefix = ""): { value: unknown; paths: string[] } {
  if (Array.isArray(params)) {
    const paths: string[] = [];
    const value = params.map((item, i) => {
      const r = redactParams(item, `${prefix}[${i}]`);
      paths.push(...r.paths);
      return r.value;
    });
    return { value, paths };
  }
  if (params !== null && typeof params === "object") {
    const paths: string[] = [];
    // fromEntries defines own properties: a "__proto__" key from JSON stays a plain key.
    const value = Object.fromEntries(
      Object.entries(params).map(([key, item]): [string, unknown] => {
        const path = prefix ? `${prefix}.${key}` : key;
        if (looksSecretKey(key) && item !== null && typeof item !== "boolean") {
          paths.push(path);
          return [key, REDACTED];
        }
        const r = redactParams(item, path);
        paths.push(...r.paths);
        return [key, r.value];
      }),
    );
    return { value, paths };
  }
  if (typeof params === "string" && looksSecretValue(params)) return { value: REDACTED, paths: [prefix] };
  return { value: params, paths: [] };
}

/** Removes user:password@ from URLs (git remotes, proxies): https://alice:tok@host/r -> https://host/r. */
export function stripCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, "$1");
}

export { looksSecretContent, looksSecretFile } from "./secret-files.js";

/** The values `redactParams` hid: walking the original beside its redacted copy, each value replaced by "***". */
export function redactedValues(original: unknown, redacted: unknown): string[] {
  if (redacted === REDACTED && original !== REDACTED)
    return [typeof original === "string" ? original : JSON.stringify(original)].filter((v): v is string => typeof v === "string");
  if (Array.isArray(original) && Array.isArray(redacted)) return original.flatMap((item, i) => redactedValues(item, redacted[i]));
  if (original !== null && typeof original === "object" && redacted !== null && typeof redacted === "object")
    return Object.entries(original).flatMap(([key, item]) =>
      Object.hasOwn(redacted, key) ? redactedValues(item, (redacted as Record<string, unknown>)[key]) : [],
    );
  return [];
}
