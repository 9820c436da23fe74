// SSH signatures over SHA256SUMS, in the format git uses (ssh-keygen -Y sign / -Y verify with an
// allowed-signers file). The signature covers SHA256SUMS's bytes, so it covers every listed member.

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BadInputError, EnvironmentError } from "../errors.js";
import { describeFailure, runProcess, type ProcessResult } from "../primitives/run-process.js";
import { SUMS } from "./layout.js";
import type { OpenBundle } from "./read-bundle.js";

/** The signature namespace: a signature made for another purpose (git commits, files) never passes as a bundle's. */
export const SIGNATURE_NAMESPACE = "mlx-bundle";
const TIMEOUT_MS = 30_000;

export interface SignatureCheck {
  /** Who signed, as the allowed-signers file names them; null when the bundle is unsigned or nothing was checked. */
  principal: string | null;
  /** The signing key's fingerprint, as ssh-keygen prints it. */
  key: string | null;
  verified: boolean;
}

function sshKeygen(args: readonly string[], input?: Uint8Array): Promise<ProcessResult> {
  return runProcess("ssh-keygen", args, { cwd: tmpdir(), timeoutMs: TIMEOUT_MS, ...(input ? { input } : {}) });
}

function missingTool(result: ProcessResult): EnvironmentError | null {
  return result.error?.code === "ENOENT"
    ? new EnvironmentError("ssh-keygen was not found", "Install OpenSSH's client (Debian: apt-get install openssh-client).")
    : null;
}

/** `ssh-keygen -Y sign -f KEY -n mlx-bundle` over `sums`; resolves with the armored signature. */
export async function signSums(keyFile: string, sums: Buffer): Promise<Buffer> {
  const result = await sshKeygen(["-Y", "sign", "-f", keyFile, "-n", SIGNATURE_NAMESPACE], sums);
  const missing = missingTool(result);
  if (missing) throw missing;
  if (describeFailure(result) !== null || !result.stdout.includes("BEGIN SSH SIGNATURE"))
    throw new BadInputError(
      `signing with ${keyFile} failed: ${result.stderr.trim() || describeFailure(result)}`,
      "Give the path of an SSH private key without a passphrase, or one held by ssh-agent.",
    );
  return result.stdout;
}

/**
 * Verifies `signature` over `sums` against an allowed-signers file: finds who signed it
 * (`-Y find-principals`), then checks it for that principal (`-Y verify`). Anything short of a
 * good signature by an allowed signer is a BadInputError (exit 2).
 */
export async function verifySums(allowedSigners: string, sums: Buffer, signature: Buffer | null): Promise<SignatureCheck> {
  if (signature === null)
    throw new BadInputError(
      `the bundle is not signed, and --trust ${allowedSigners} asks for a signature`,
      "Ask its author for a bundle made with mlx pack --sign, or replay without --trust.",
    );
  const scratch = await mkdtemp(join(tmpdir(), "mlx-verify-"));
  try {
    const sigFile = join(scratch, "SHA256SUMS.sig");
    await writeFile(sigFile, signature, { mode: 0o600 });
    const found = await sshKeygen(["-Y", "find-principals", "-s", sigFile, "-f", allowedSigners]);
    const missing = missingTool(found);
    if (missing) throw missing;
    const principal = found.code === 0 ? found.stdout.toString("utf8").split("\n")[0]!.split(",")[0]!.trim() : "";
    if (principal === "")
      throw new BadInputError(
        `SHA256SUMS.sig was not made by any key in ${allowedSigners}: ${found.stderr.trim() || "no principal matches"}`,
        "Do not use this bundle, or add its author's key to the allowed-signers file if you trust it.",
      );
    const args = ["-Y", "verify", "-f", allowedSigners, "-I", principal, "-n", SIGNATURE_NAMESPACE, "-s", sigFile];
    const verified = await sshKeygen(args, sums);
    if (verified.code !== 0)
      throw new BadInputError(
        `SHA256SUMS.sig does not verify for ${principal}: ${verified.stderr.trim() || describeFailure(verified)}`,
        "The bundle was altered after it was signed; do not use it.",
      );
    const text = `${verified.stdout.toString("utf8")}\n${verified.stderr}`;
    return { principal, key: /key (\S+)/.exec(text)?.[1] ?? null, verified: true };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * What replay knows of an opened bundle's signature: with `trust` (an allowed-signers file) it must
 * verify (else exit 2, before anything is loaded); without, a signature is reported as unchecked.
 * Null when the bundle is unsigned and nothing asks for a signature.
 */
export async function checkBundleSignature(opened: OpenBundle, trust: string | null): Promise<SignatureCheck | null> {
  if (trust !== null) return verifySums(trust, await readFile(join(opened.folder, SUMS)), opened.signature);
  return opened.signature === null ? null : { principal: null, key: null, verified: false };
}

/** The report's warning about who made the bundle; null when a trusted signer was verified. */
export function signatureWarning(check: SignatureCheck | null): string | null {
  if (check === null) return "the bundle is not signed: its checksums prove integrity, not who made it";
  if (!check.verified) return "the bundle is signed, but nothing was verified: replay with --trust ALLOWED_SIGNERS to check who made it";
  return null;
}
