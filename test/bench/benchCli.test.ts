// `npm run bench -- <name>…` runs only the named benchmarks: `--help` lists them with their goals,
// an unknown name stops the run with exit code 2 before anything is measured.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { selectBenchmarks } from "../../bench/select.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

const runBench = (args: readonly string[]) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=troupe-source", "bench/run.ts", ...args], {
      cwd: root,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });

const entries = [
  { name: "queue-throughput", goal: "≥ 0.5", run: "q" },
  { name: "recorder-overhead", goal: "≥ 0.8", run: "r" },
  { name: "outbox-throughput", goal: "≥ 0.5", run: "o" },
];

describe("npm run bench", () => {
  it("runs every benchmark when none is named, and only the named ones (in the usual order) otherwise", () => {
    expect(selectBenchmarks(entries, [])).toEqual({ kind: "run", benchmarks: entries });
    const some = selectBenchmarks(entries, ["outbox-throughput", "queue-throughput"]);
    expect(some.kind === "run" && some.benchmarks.map((entry) => entry.run)).toEqual(["q", "o"]);
  });

  it("leaves a benchmark marked onlyWhenNamed out of a run with no names, and runs it when named", () => {
    const withPeers = [...entries, { name: "peers", goal: "W1–W5", run: "p", onlyWhenNamed: true }];
    expect(selectBenchmarks(withPeers, [])).toEqual({ kind: "run", benchmarks: entries });
    const named = selectBenchmarks(withPeers, ["peers"]);
    expect(named.kind === "run" && named.benchmarks.map((entry) => entry.run)).toEqual(["p"]);
  });

  it("--help lists every benchmark with its goal", async () => {
    const { code, stdout } = await runBench(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/recorder-overhead +goal ≥ 0\.8/);
    expect(stdout).toMatch(/outbox-throughput +goal ≥ 0\.5/);
    expect(stdout).toMatch(/queue-scaling +goal ≥ 1\.6/);
    expect(stdout).toMatch(/peers +goal W1–W5 .*\(only when named\)/);
  });

  it("an unknown name exits 2, names it and measures nothing", async () => {
    const { code, stdout, stderr } = await runBench(["recorder-overhead", "recorder-overhed"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown benchmark: recorder-overhed \(known: routed-throughput, /);
    expect(stderr).not.toMatch(/running/);
    expect(stdout).toBe("");
  });
});
