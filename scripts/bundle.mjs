// After tsc: bundles the CLI into dist/cli/mlx.mjs, which bin/mlx loads. A few files parse and link
// much faster than ~40 modules (start-up is most of a trivial capture). Code splitting
// keeps pack and replay (and the externals they import) in chunks loaded only when used: without
// it, esbuild hoists `import "dockerode"` to the top and every capture paid ~150 ms to load it.
// Entry and chunks sit in dist/cli/ so that the URLs they compute from import.meta.url
// (../sdk/preload.cjs, ../record/validators/*.cjs, ../../package.json) resolve as they
// do from dist/cli/*.js.
import { cpSync, rmSync, readdirSync } from "node:fs";
import { build } from "esbuild";

const outdir = new URL("../dist/cli/", import.meta.url).pathname;
for (const f of readdirSync(outdir)) if (f.endsWith(".mjs")) rmSync(outdir + f);
await build({
  entryPoints: { mlx: new URL("../src/cli/main.ts", import.meta.url).pathname },
  outdir,
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunk-[name]-[hash]",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Bundled CommonJS (commander, ajv's runtime) calls require(): give the ES modules one.
  banner: { js: "import { createRequire as __mlxRequire } from 'node:module'; const require = __mlxRequire(import.meta.url);" },
  // Loaded from node_modules by the chunks that need them: dockerode brings native ssh2 bindings.
  external: ["dockerode", "tar"],
  logLevel: "warning",
});
// The Python files tsc does not copy: the facts helper the probe runs, and the preload + SDK folder.
const src = new URL("../src/", import.meta.url).pathname;
const dist = new URL("../dist/", import.meta.url).pathname;
cpSync(src + "facts/python-facts.py", dist + "facts/python-facts.py");
cpSync(src + "sdk/python", dist + "sdk/python", { recursive: true, filter: (f) => !f.includes("__pycache__") });
