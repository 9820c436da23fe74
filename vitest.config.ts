import { defineConfig } from "vitest/config";

export default defineConfig({
  // src/sdk/*.cts (CommonJS TypeScript: the preload and its generator) must be transformed too.
  oxc: { include: /\.(c|m)?tsx?$/ },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real processes; two cores here.
    maxWorkers: 2,
  },
});
