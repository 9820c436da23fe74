// After tsc: bundles the CLI into dist/cli/mlx.mjs, which bin/mlx loads (and `mlx capture` alone into
// dist/cli/mlx-capture.cjs, below). A few files parse and link much faster than ~40 modules (start-up
// is most of a trivial capture). Code splitting
// keeps pack and replay (and the externals they import) in chunks loaded only when used: without
// it, esbuild hoists `import "dockerode"` to the top and every capture paid ~150 ms to load it.
// Entry and chunks sit in dist/cli/ so that the URLs they compute from import.meta.url
// (../sdk/preload.cjs, ../record/validators/*.cjs, ../../package.json) resolve as they
// do from dist/cli/*.js.
import { cpSync, rmSync, readdirSync } from "node:fs";
import { analyzeMetafile, build } from "esbuild";

const outdir = new URL("../dist/cli/", import.meta.url).pathname;
for (const f of readdirSync(outdir)) if (f.endsWith(".mjs") || f === "mlx-capture.cjs") rmSync(outdir + f);
const common = {
  outdir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Bundled CommonJS (commander, ajv's runtime) calls require(): give the ES modules one.
  banner: { js: "import { createRequire as __mlxRequire } from 'node:module'; const require = __mlxRequire(import.meta.url);" },
  // Loaded from node_modules by the chunks that need them: dockerode brings native ssh2 bindings.
  external: ["dockerode", "tar"],
  logLevel: "warning",
};
await build({
  ...common,
  entryPoints: { mlx: new URL("../src/cli/main.ts", import.meta.url).pathname },
  chunkNames: "chunk-[name]-[hash]",
  splitting: true,
});
// `mlx capture` alone (bin/mlx picks it): one CommonJS file, no chunks shared with the other verbs. Before the
// command starts, the ES module loader's work per file (resolve, read, compile, link) was most of what a short
// capture cost above a bare wrapper (split, the capture path opened ~30 chunks before the spawn), and require()
// of one CommonJS file costs less CPU than import() of the same code as an ES module. Its dynamic imports are
// inlined (loaded lazily, from the same file). import.meta.url becomes the file's URL, so the paths computed
// from it (../sdk/preload.cjs, ../record/validators/*.cjs, ../../package.json) resolve as they do from the chunks.
const captureBuild = await build({
  ...common,
  entryPoints: { "mlx-capture": new URL("../src/cli/capture-main.ts", import.meta.url).pathname },
  outExtension: { ".js": ".cjs" },
  format: "cjs",
  splitting: false,
  define: { "import.meta.url": "__mlxModuleUrl" },
  banner: { js: 'const __mlxModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  metafile: true,
});
if (process.env.MLX_BUNDLE_META) console.log(await analyzeMetafile(captureBuild.metafile));
// The Python files tsc does not copy: the facts helper the probe runs, and the preload + SDK folder.
const src = new URL("../src/", import.meta.url).pathname;
const dist = new URL("../dist/", import.meta.url).pathname;
cpSync(src + "facts/python-facts.py", dist + "facts/python-facts.py");
cpSync(src + "sdk/python", dist + "sdk/python", { recursive: true, filter: (f) => !f.includes("__pycache__") });
