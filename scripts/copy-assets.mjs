// After tsc: writes the JSON Schemas into schema/ so that they ship with the package.
import { mkdirSync, writeFileSync } from "node:fs";

const { runSchema } = await import("../dist/manifest/run-schema.js");
mkdirSync(new URL("../schema/", import.meta.url), { recursive: true });
writeFileSync(new URL("../schema/run.schema.json", import.meta.url), JSON.stringify(runSchema, null, 2) + "\n");
