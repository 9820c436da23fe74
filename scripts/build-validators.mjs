// After tsc: compiles every JSON Schema to standalone validation code (dist/manifest/precompiled-validators.js),
// so that no capture pays for ajv's compiler, and writes the schemas into schema/ to ship with the package.
import { mkdirSync, writeFileSync } from "node:fs";
import { Ajv } from "ajv";
import standalone from "ajv/dist/standalone/index.js";

const dist = new URL("../dist/", import.meta.url);
const { AJV_OPTIONS } = await import(new URL("manifest/validate.js", dist).href);
const schemas = {
  run: (await import(new URL("manifest/run-schema.js", dist).href)).runSchema,
  bundle: (await import(new URL("manifest/bundle-schema.js", dist).href)).bundleSchema,
  replay: (await import(new URL("manifest/replay-schema.js", dist).href)).replaySchema,
  "run-config": (await import(new URL("capture/run-config.js", dist).href)).runConfigSchema,
};

const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true, esm: true } });
for (const schema of Object.values(schemas)) ajv.addSchema(schema);
const exportsById = Object.fromEntries(Object.entries(schemas).map(([name, s]) => [name.replace(/-/g, "_"), s.$id]));
let code = standalone(ajv, exportsById);
const needs = code.match(/require\([^)]*\)/g);
if (needs) console.error(needs);
if (needs) throw new Error("standalone validators need a runtime require(): check the ajv options");
code += `\nexport const validators = {${Object.entries(exportsById).map(([name, id]) => `${JSON.stringify(id)}: ${name}`).join(", ")}};\n`;
writeFileSync(new URL("manifest/precompiled-validators.js", dist), code);

mkdirSync(new URL("../schema/", import.meta.url), { recursive: true });
for (const [name, schema] of Object.entries(schemas)) {
  writeFileSync(new URL(`../schema/${name}.schema.json`, import.meta.url), JSON.stringify(schema, null, 2) + "\n");
}
