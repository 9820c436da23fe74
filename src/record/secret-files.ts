import { openRegularFile } from "../primitives/read-untrusted.js";
// File names and paths that hold secrets by custom. Our own list: the npm packages that carry one
// (ban-sensitive-files, built on safe-commit-hook's git-deny-patterns.json of 2015) are unmaintained
// and flag far more than secrets (any *.log, *.sql). Where each pattern comes from is noted beside it.

/** Matched against the last part of a path (the file's own name), case-insensitively. */
const SECRET_NAMES = [
  "\\.env(\\..*)?", // dotenv and its variants (.env.local, .env.production)
  "\\.envrc", // direnv
  "\\.npmrc", // npm auth tokens
  "\\.pypirc", // PyPI upload credentials
  "\\.netrc|_netrc", // curl/ftp/git HTTP credentials
  "\\.git-credentials", // git credential-store
  "\\.pgpass", // PostgreSQL passwords
  "\\.my\\.cnf", // MySQL client passwords
  "\\.htpasswd", // Apache basic-auth users
  "\\.dockercfg", // legacy Docker registry auth
  "\\.vault-token", // HashiCorp Vault
  "\\.s3cfg|\\.boto", // s3cmd, boto
  "(.*\\.)?kubeconfig", // Kubernetes client configs
  "deploy_key.*", // deploy keys named by GitHub's docs
  "id_(rsa|dsa|ecdsa|ed25519)(_sk)?(\\.pub)?", // OpenSSH key pairs
  ".*\\.(pem|key|p12|pfx|p8|ppk|jks|keystore|kdbx|ovpn)", // TLS keys, keystores, password safes, VPN profiles
  ".*\\.tfvars(\\.json)?|.*\\.tfstate(\\.backup)?", // Terraform variables and state (hold provider secrets)
  "secring\\.gpg|.*private.*\\.(asc|gpg)|.*\\.(sec|key)\\.(asc|gpg)", // GnuPG secret keyrings and exported private keys
  "(.*[-_])?token([-_.].*)?\\.txt", // tokens saved by hand (token.txt, hf_token.txt; not tokens.txt or tokenizer.txt)
  "credentials(\\.json|\\.csv)?", // AWS, Google client secrets, AWS console downloads
  ".*service[-_]?account.*\\.json|gcp.*\\.json", // Google Cloud service-account keys
  ".*secret.*", // anything that says so
];

/** Matched against the whole path: files named for what they hold in the folder they are in. */
const SECRET_PATHS = [
  "\\.aws/(credentials|config)", // AWS CLI
  "\\.docker/config\\.json", // Docker registry auth
  "\\.kube/[^/]+", // Kubernetes
  "\\.ssh/[^/]+", // anything of ssh: keys, known hosts, configs
  "\\.gnupg/.+", // GnuPG home
  "\\.config/gh/hosts\\.yml", // GitHub CLI tokens
  "\\.config/gcloud/.+", // Google Cloud SDK
  "\\.azure/.+", // Azure CLI
];

const SECRET_NAME_PATTERN = new RegExp(`^(${SECRET_NAMES.join("|")})$`, "i");
const SECRET_PATH_PATTERN = new RegExp(`(^|/)(${SECRET_PATHS.join("|")})$`, "i");

/** A path (relative, "/"-separated) of a file that holds secrets by custom. */
export function looksSecretFile(path: string): boolean {
  const name = path.split("/").pop() ?? path;
  return SECRET_NAME_PATTERN.test(name) || SECRET_PATH_PATTERN.test(path);
}

/** A private key's armour (PEM, OpenSSH, PGP): a file holding one is a secret whatever its name. */
const PRIVATE_KEY = /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----/;
const HEAD_BYTES = 8192;

/** Whether the first bytes of the file at `path` hold a private key; false for what cannot be read (a link, a FIFO). */
export async function looksSecretContent(path: string): Promise<boolean> {
  const opened = await openRegularFile(path, Number.POSITIVE_INFINITY).catch(() => null);
  if (!opened) return false;
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await opened.handle.read(head, 0, HEAD_BYTES, 0);
    return PRIVATE_KEY.test(head.subarray(0, bytesRead).toString("latin1"));
  } finally {
    await opened.handle.close();
  }
}
