import { existsSync, statSync } from "node:fs";

/** Integration tests run the built CLI: refuse to start on a missing or stale build. */
export default function setup(): void {
  const main = new URL("../../dist/cli/main.js", import.meta.url);
  if (!existsSync(main)) throw new Error("dist/ is missing: run `npm test` (it builds), or `npm run build` first");
  const built = statSync(main).mtimeMs;
  const source = statSync(new URL("../../src/cli/main.ts", import.meta.url)).mtimeMs;
  if (source > built) throw new Error("dist/ is older than src/: run `npm run build` (npm test does it)");
}
