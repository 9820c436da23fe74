/** A package whose version is not the same in the two runs (null: not installed in that run). */
export interface PackageChange {
  name: string;
  a: string | null;
  b: string | null;
}

/**
 * The packages of an npm lockfile (v2/v3 `packages` map), name -> version. Keys are install paths
 * ("node_modules/a/node_modules/b"): the same package nested twice is listed by its path past the
 * first node_modules, so two versions of one package both show. The root entry ("") is the project.
 */
export function parseLockfilePackages(json: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof json !== "object" || json === null) return out;
  const packages = (json as { packages?: unknown }).packages;
  if (typeof packages !== "object" || packages === null) return out;
  for (const [path, entry] of Object.entries(packages)) {
    if (path === "" || typeof entry !== "object" || entry === null) continue;
    const version = (entry as { version?: unknown }).version;
    const name = path.replace(/^node_modules\//, "");
    out.set(name, typeof version === "string" ? version : "(no version)");
  }
  return out;
}

/** Packages added, removed or changed from `a` to `b`, sorted by name. */
export function comparePackages(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): PackageChange[] {
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  return names.filter((n) => a.get(n) !== b.get(n)).map((name) => ({ name, a: a.get(name) ?? null, b: b.get(name) ?? null }));
}
