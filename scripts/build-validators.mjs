// After tsc: compiles each JSON Schema to standalone validation code, one CommonJS file per schema in
// dist/record/validators/ (loaded on first use: a capture loads only the Run validator) with V8's code
// cache of it, and writes the schemas into schema/ to ship with the package. The schemas are TypeBox
// values: plain JSON Schema objects whose only extras are symbol keys, which neither ajv nor JSON.stringify reads.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import standalone from "ajv/dist/standalone/index.js";

const dist = new URL("../dist/", import.meta.url);
const { AJV_OPTIONS, CODE_CACHE_SUFFIX, codeCacheFor, loadValidatorFile, precompiledName } = await import(
  new URL("record/validate.js", dist).href
);
const schemas = [
  (await import(new URL("record/run-schema.js", dist).href)).runSchema,
  (await import(new URL("record/bundle-schema.js", dist).href)).bundleSchema,
  (await import(new URL("record/replay-schema.js", dist).href)).replaySchema,
  (await import(new URL("record/group-schema.js", dist).href)).groupSchema,
  (await import(new URL("group/group-spec.js", dist).href)).groupSpecSchema,
  (await import(new URL("capture/run-config.js", dist).href)).runConfigSchema,
];

mkdirSync(new URL("record/validators/", dist), { recursive: true });
mkdirSync(new URL("../schema/", import.meta.url), { recursive: true });
for (const schema of schemas) {
  const name = precompiledName(schema.$id);
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  const file = new URL(`record/validators/${name}.cjs`, dist);
  const source = standalone(ajv, ajv.compile(schema));
  writeFileSync(file, source);
  // V8's code for the validator, made after one call so that the validating function itself is compiled.
  const { exports, script } = loadValidatorFile(fileURLToPath(file));
  (exports.default ?? exports)({});
  writeFileSync(new URL(`record/validators/${name}.cjs${CODE_CACHE_SUFFIX}`, dist), codeCacheFor(script, source));
  writeFileSync(new URL(`../schema/${name}.schema.json`, import.meta.url), JSON.stringify(schema, null, 2) + "\n");
}
