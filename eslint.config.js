// Lint gate (npm run lint, run by npm test): typescript-eslint's recommended rules, plus the shape of
// the code: stages never import each other (a search runs captured trials: group may use capture),
// layers never import stages or the CLI, only src/docker/ talks to dockerode, only src/cli/ exits.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

const STAGES = ["capture", "group", "pack", "replay", "inspect", "report"];
const LAYERS = ["record", "metrics", "facts", "bundle", "docker", "primitives", "sdk"];

/** import paths that reach into `folders` from a file one level below src/. */
const into = (folders) => folders.flatMap((f) => [`../${f}/*`, `../${f}`]);

function importRules(forbidden, message) {
  return {
    "no-restricted-imports": [
      "error",
      {
        paths: [{ name: "dockerode", message: "Only src/docker/ talks to the Docker engine: use the DockerClient interface." }],
        patterns: [{ group: into(forbidden), message }],
      },
    ],
  };
}

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "examples/*/node_modules/", "coverage/", "bench/out/", "schema/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-require-imports": "off",
      eqeqeq: ["error", "always"],
      "no-restricted-properties": ["error", { object: "process", property: "exit", message: "Only src/cli/ ends the process." }],
    },
  },
  ...STAGES.map((stage) => ({
    files: [`src/${stage}/**/*.ts`],
    ignores: ["**/*.test.ts"],
    rules: importRules(
      ["cli", ...STAGES.filter((s) => s !== stage && !(stage === "group" && s === "capture"))],
      "A stage never imports another stage or the CLI: move what both need into a layer below (record, bundle, facts, ...).",
    ),
  })),
  ...LAYERS.map((layer) => ({
    files: [`src/${layer}/**/*.ts`, `src/${layer}/**/*.cts`],
    ignores: ["**/*.test.ts"],
    rules: importRules(["cli", ...STAGES], "A layer never imports a stage or the CLI."),
  })),
  { files: ["src/docker/**/*.ts"], rules: { "no-restricted-imports": "off" } },
  {
    files: ["src/cli/**/*.ts", "bench/**", "scripts/**", "test/**", "**/*.test.ts", "bin/**"],
    rules: { "no-restricted-properties": "off" },
  },
);
