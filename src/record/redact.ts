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

/**
 * Replaces secret-looking arguments with "***": the value after a flag such as `--api-key`,
 * the value part of `--token=...`, and any argument whose text looks like a credential.
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
    }
  }
  return { argv: out, redacted };
}

/** Removes user:password@ from URLs (git remotes, proxies): https://alice:tok@host/r -> https://host/r. */
export function stripCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, "$1");
}

/** File names that hold secrets by custom: keys, tokens, credentials. */
const SECRET_FILE = new RegExp(
  "^(" +
    [
      "\\.env(\\..*)?",
      "\\.npmrc",
      "\\.pypirc",
      "\\.netrc",
      "id_(rsa|dsa|ecdsa|ed25519)(\\.pub)?",
      ".*\\.(pem|key|p12|pfx|jks|keystore)",
      "credentials(\\.json)?",
      ".*service[-_]?account.*\\.json",
      "gcp.*\\.json",
      ".*secret.*",
    ].join("|") +
    ")$",
  "i",
);

/** Untracked files that are left out of the git patch unless asked for. */
export function looksSecretFile(path: string): boolean {
  return SECRET_FILE.test(path.split("/").pop() ?? path);
}
