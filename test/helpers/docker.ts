import { execFileSync } from "node:child_process";

/** Whether a Docker engine answers. In CI an engine is required: e2e tests never skip there. */
export function dockerReady(): boolean {
  let ok = false;
  try {
    execFileSync("docker", ["version", "--format", "{{.Server.Version}}"], { stdio: "ignore", timeout: 10_000 });
    ok = true;
  } catch {
    ok = false;
  }
  if (!ok && process.env["CI"])
    throw new Error("CI=true but no Docker engine answers: e2e tests must run in CI (scripts/setup-docker.sh starts one)");
  if (!ok)
    console.warn(
      "\n*** SKIPPING Docker e2e tests: no Docker engine answers here. " +
        "Run `bash scripts/setup-docker.sh` (root, Debian) to run them. ***\n",
    );
  return ok;
}

export function docker(...args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** The sha256 lines of a bundle's SHA256SUMS, as a map member -> digest. */
export function bundleSums(bundle: string): Map<string, string> {
  const text = execFileSync("tar", ["-xOf", bundle, "SHA256SUMS"], { encoding: "utf8" });
  return new Map(
    text
      .trim()
      .split("\n")
      .map((l) => [l.slice(66), l.slice(0, 64)] as [string, string]),
  );
}
