import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BadInputError } from "../errors.js";
import { signSums, verifySums } from "./signature.js";
import { writeBundle } from "./write-bundle.js";

const dir = mkdtempSync(join(tmpdir(), "mlx-signature-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real ed25519 key made by ssh-keygen, and an allowed-signers line for it. */
function makeKey(name: string): { key: string; allowed: string } {
  const key = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key]);
  const [type, body] = readFileSync(`${key}.pub`, "utf8").split(" ");
  return { key, allowed: `${name}@example.org ${type} ${body}\n` };
}
const alice = makeKey("alice");
const mallory = makeKey("mallory");
const allowed = join(dir, "allowed_signers");
writeFileSync(allowed, alice.allowed);
const sums = Buffer.from(`${"a".repeat(64)}  bundle.yaml\n`);

const refusal = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => "accepted",
    (e: unknown) => (e instanceof BadInputError ? e.message : `not a BadInputError: ${String(e)}`),
  );

describe("SSH signatures over SHA256SUMS", () => {
  it("verifies a signature by an allowed signer and names them", async () => {
    const check = await verifySums(allowed, sums, await signSums(alice.key, sums));
    expect(check).toMatchObject({ principal: "alice@example.org", verified: true });
    expect(check.key).toMatch(/^SHA256:/);
  });

  it.each([
    ["a signature by a key the file does not allow", () => signSums(mallory.key, sums), sums, /not made by any key in/],
    [
      "SHA256SUMS changed after signing",
      () => signSums(alice.key, sums),
      Buffer.from(`${"b".repeat(64)}  bundle.yaml\n`),
      /does not verify for alice/,
    ],
    ["an unsigned bundle", async () => null, sums, /not signed, and --trust/],
    ["garbage in SHA256SUMS.sig", async () => Buffer.from("not a signature"), sums, /not made by any key/],
  ] as Array<[string, () => Promise<Buffer | null>, Buffer, RegExp]>)("refuses %s (exit 2)", async (_, sign, checked, message) => {
    expect(await refusal(verifySums(allowed, checked, await sign()))).toMatch(message);
  });

  it("refuses a signature made for another namespace (a git commit signature)", async () => {
    const sig = execFileSync("ssh-keygen", ["-Y", "sign", "-f", alice.key, "-n", "git"], { input: sums });
    expect(await refusal(verifySums(allowed, sums, sig))).toMatch(/does not verify/);
  });

  it("writeBundle signs SHA256SUMS's bytes and writes SHA256SUMS.sig after it", async () => {
    const path = join(dir, "signed.tar");
    const members = [{ name: "bundle.yaml", source: { kind: "data" as const, data: Buffer.from("kind: Bundle\n") }, mode: 0o644 }];
    const written = await writeBundle(path, members, {
      mtimeSeconds: 0,
      onBytes: () => undefined,
      temps: new Set(),
      sign: (bytes) => signSums(alice.key, bytes),
    });
    expect(written.members).toBe(3);
    expect(execFileSync("tar", ["-tf", path], { encoding: "utf8" })).toBe("bundle.yaml\nSHA256SUMS\nSHA256SUMS.sig\n");
    const read = (m: string): Buffer => execFileSync("tar", ["-xOf", path, m]);
    await expect(verifySums(allowed, read("SHA256SUMS"), read("SHA256SUMS.sig"))).resolves.toMatchObject({ verified: true });
  });
});
