// Vitest workspace: one project per package plus the cross-package tests under test/.
import { defineConfig } from "vitest/config";

const resolve = { conditions: ["troupe-source"] };
// Tests run in Vite's server (SSR) environment, which takes its conditions from `ssr.resolve`:
// without this, `@troupe/runtime` imported by name would not resolve to its sources.
const ssr = { resolve: { conditions: ["troupe-source"] } };

export default defineConfig({
  resolve,
  ssr,
  test: {
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
    projects: [
      {
        resolve,
        ssr,
        test: {
          name: "runtime",
          root: "packages/runtime",
          include: ["src/**/*.test.ts"],
          typecheck: { enabled: true, include: ["src/**/*.test-d.ts"] },
        },
      },
      { resolve, ssr, test: { name: "agents", root: "packages/agents", include: ["src/**/*.test.ts"] } },
      // The host's tests start the real CLI in child processes: as long as e2e's on a loaded machine.
      {
        resolve,
        ssr,
        test: { name: "host", root: "apps/host", include: ["src/**/*.test.ts"], testTimeout: 30_000 },
      },
      { resolve, ssr, test: { name: "e2e", root: "test", include: ["**/*.test.ts"], testTimeout: 30_000 } },
    ],
  },
});
