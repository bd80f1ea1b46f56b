// Vitest workspace: one project per package plus the cross-package tests under test/.
import { defineConfig } from "vitest/config";

const resolve = { conditions: ["troupe-source"] };

export default defineConfig({
  resolve,
  test: {
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
    projects: [
      {
        resolve,
        test: {
          name: "runtime",
          root: "packages/runtime",
          include: ["src/**/*.test.ts"],
          typecheck: { enabled: true, include: ["src/**/*.test-d.ts"] },
        },
      },
      { resolve, test: { name: "agents", root: "packages/agents", include: ["src/**/*.test.ts"] } },
      { resolve, test: { name: "host", root: "apps/host", include: ["src/**/*.test.ts"] } },
      { resolve, test: { name: "e2e", root: "test", include: ["**/*.test.ts"], testTimeout: 30_000 } },
    ],
  },
});
