// A task that keeps failing ends once, as a dead letter, through the real `troupe` on the embedded
// SQLite store: the research agent with its model unreachable (the Ollama stand-in stopped) is
// retried after jittered, fractional backoffs that the store must keep, then buried with its reason.
// The piped session ends as soon as the task ended (its drain timeout is ten minutes), and the next
// start finds it among the dead letters with nothing leased or delayed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startOllamaStandIn } from "../../../../test/harness/ollamaStandIn.ts";
import { spawnTroupe } from "../testing/spawnTroupe.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("a task whose model is down", { timeout: 60_000 }, () => {
  it("is retried with backoff on the embedded store, then kept as a dead letter with its reason", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "troupe-dead-letter-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const ollama = await startOllamaStandIn({ models: ["qwen3:8b"] });
    await ollama.close(); // Ollama is down: its port refuses connections
    const env = {
      TROUPE_DATA_DIR: dataDir,
      TROUPE_AGENTS: "research",
      OLLAMA_HOST: ollama.url,
      MODEL_RESEARCH: "qwen3:8b",
      TROUPE_MAX_ATTEMPTS: "3",
      TROUPE_RETRY_BACKOFF: "50ms",
      TROUPE_DRAIN_TIMEOUT: "10m",
    };

    const first = spawnTroupe(["start"], env);
    cleanups.push(() => void first.child.kill("SIGKILL"));
    first.send("/ask research what is a closure?");
    first.end();
    const final = await first.line(/\] ❌ failed: /);
    // Ends once the task has ended, long before the drain timeout.
    expect(await first.exited).toBe(0);
    const output = first.stdout.join("\n");
    expect(first.stdout.filter((line) => line.includes("⚙️ working"))).toHaveLength(3);
    expect(first.stdout.filter((line) => line.includes("🔁 retrying (attempt"))).toHaveLength(2);
    expect(first.stdout.filter((line) => line.includes("❌")).at(-1)).toBe(final);
    expect(output).toMatch(/OLLAMA_HOST|connection refused/);
    const logs = first.stderr.join("\n");
    expect(logs).not.toContain("cannot store REAL value");
    expect(logs).not.toContain("settling a lease failed");

    const second = spawnTroupe(["start"], env);
    cleanups.push(() => void second.child.kill("SIGKILL"));
    second.send("/status");
    expect(await second.line(/^Work queue /)).toMatch(/: 0 ready, 0 leased, 0 delayed, 1 dead\.$/);
    second.end();
    expect(await second.exited).toBe(0);
  });
});
