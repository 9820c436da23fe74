// After tsc: bundles the CLI into one file, dist/cli/mlx.mjs, which bin/mlx loads. One file parses
// and links much faster than ~40 modules (FIELD-NOTES: start-up is most of a trivial capture).
// It sits in dist/cli/ so that the URLs it computes from import.meta.url (../sdk/preload.cjs,
// ../manifest/precompiled-validators.js, ../../package.json) resolve as they do from dist/cli/*.js.
import { build } from "esbuild";

await build({
  entryPoints: [new URL("../src/cli/main.ts", import.meta.url).pathname],
  outfile: new URL("../dist/cli/mlx.mjs", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Bundled CommonJS (commander, ajv's runtime) calls require(): give the ES module one.
  banner: { js: "import { createRequire as __mlxRequire } from 'node:module'; const require = __mlxRequire(import.meta.url);" },
  // Loaded from node_modules when pack or replay needs them: dockerode brings native ssh2 bindings,
  // and neither is on the path of a capture.
  external: ["dockerode", "tar"],
  logLevel: "warning",
});
