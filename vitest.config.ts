import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests import workspace packages by name; map the names to their sources so tests need no build.
const src = (dir: string, file = "index") => fileURLToPath(new URL(`./packages/${dir}/src/${file}.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@scenecap\/([a-z0-9-]+)$/, replacement: src("$1") },
      { find: /^@scenecap\/([a-z0-9-]+)\/([a-z0-9-]+)$/, replacement: src("$1", "$2") },
      { find: /^mixpeek$/, replacement: src("sdk") },
    ],
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts"],
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ["default"],
  },
});
