// Vitest workspace: one project per package plus the cross-package tests under test/.
import { defineConfig } from "vitest/config";

const resolve = { conditions: ["troupe-source"] };
// Tests run in Vite's server (SSR) environment, which takes its conditions from `ssr.resolve`:
// without this, `@troupe/runtime` imported by name would not resolve to its sources.
const ssr = { resolve: { conditions: ["troupe-source"] } };
// `expect.poll` waits for an outcome, not for luck: a loaded CI machine gets 10 s before it fails
// (and a unit test 15 s in all).
const expect = { poll: { timeout: 10_000 } };

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
          testTimeout: 15_000,
          expect,
          include: ["src/**/*.test.ts"],
          typecheck: { enabled: true, include: ["src/**/*.test-d.ts"] },
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: "agents",
          root: "packages/agents",
          include: ["src/**/*.test.ts"],
          testTimeout: 15_000,
          expect,
        },
      },
      // The host's tests start the real CLI in child processes: as long as e2e's on a loaded machine.
      {
        resolve,
        ssr,
        test: { name: "host", root: "apps/host", include: ["src/**/*.test.ts"], testTimeout: 30_000, expect },
      },
      {
        resolve,
        ssr,
        test: { name: "e2e", root: "test", include: ["**/*.test.ts"], testTimeout: 30_000, expect },
      },
    ],
  },
});
