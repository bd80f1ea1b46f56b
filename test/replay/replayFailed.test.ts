// A failed task replays, through the product: the real `troupe start` with research on an Ollama
// stand-in whose model runner crashes on every chat (HTTP 500, a transient failure). The research
// task is retried (🔁 attempts 2 to 5) and ends ❌, with its replay command under the ❌. Offline,
// `troupe replay` of the trace says both tasks (echo's and research's) are identical: the research
// task's last delivery is run again, the model's recorded error given back, and it fails as it did.
// A recording made with another prompt diverges at that delivery's model call.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listTraceFiles } from "@troupe/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { spawnTroupe } from "../../apps/host/src/testing/spawnTroupe.ts";
import { startOllamaStandIn } from "../harness/ollamaStandIn.ts";
import { traceRecordsOf, writeTraceRecords } from "../harness/traceRecords.ts";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A copy of `trace` whose every recorded model request had `prompt` as its system prompt. */
const withOldPrompt = (trace: string, into: string, prompt: string): void => {
  const records = traceRecordsOf(trace);
  for (const record of records)
    if (record.kind === "io" && record.port === "llm")
      (record.request as { messages: { content: string }[] }).messages[0]!.content = prompt;
  writeTraceRecords(into, records);
};

describe("troupe replay of a task that failed", () => {
  it("replays a task retried and failed as identical, from the line under its ❌; another prompt diverges", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "troupe-replay-failed-"));
    folders.push(dataDir);
    const ollama = await startOllamaStandIn({
      defaultReply: () => ({ status: 500, error: "model runner crashed" }),
    });
    try {
      const troupe = spawnTroupe(["start"], {
        TROUPE_DATA_DIR: dataDir,
        TROUPE_AGENTS: "research",
        OLLAMA_HOST: ollama.url,
        TROUPE_RETRY_BACKOFF: "50ms",
      });
      await troupe.log("troupe started");
      troupe.send("/ask echo hello replay");
      await troupe.line(/^hello replay$/);
      troupe.send("/ask research why is the sky blue");
      const failed = await troupe.line(/^\[t-\w+\] ❌ failed: /, { from: 1 });
      const taskId = /^\[(t-\w+)\]/.exec(failed)![1]!;
      await troupe.line(/^replay offline: /, { from: troupe.stdout.indexOf(failed) });
      troupe.end();
      expect(await troupe.exited).toBe(0);
      const lines = troupe.stdout.filter((line) => line.startsWith(`[${taskId}] `));
      expect(
        lines.filter((line) => line.includes("🔁")).map((line) => /attempt (\d)/.exec(line)?.[1]),
      ).toEqual(["2", "3", "4", "5"]);
      expect(failed).toContain("HTTP 500: model runner crashed");
      const [trace, ...more] = await listTraceFiles(join(dataDir, "traces"));
      expect(more).toEqual([]);
      expect(troupe.stdout[troupe.stdout.indexOf(failed) + 1]).toBe(
        `replay offline: troupe replay ${trace} --task ${taskId}`,
      );
      // Every delivery asked the model and was refused.
      expect(ollama.requestsTo("/api/chat").length).toBeGreaterThanOrEqual(5);
      await ollama.close();
      const offline = { OLLAMA_HOST: "http://127.0.0.1:9" };

      const all = spawnTroupe(["replay", trace!], offline);
      expect(await all.exited).toBe(0);
      expect(all.stdout).toEqual(["identical: 2 tasks"]);
      const one = spawnTroupe(["replay", trace!, "--task", taskId], offline);
      expect(await one.exited).toBe(0);
      expect(one.stdout).toEqual(["identical: 1 task"]);

      // Recorded with another prompt: the last delivery's first model call is no longer the recorded one.
      const changed = join(dataDir, "changed.jsonl");
      withOldPrompt(trace!, changed, "You are an old research prompt.");
      const diverged = spawnTroupe(["replay", changed, "--task", taskId], offline);
      expect(await diverged.exited).toBe(1);
      const lastDelivery = traceRecordsOf(changed)
        .filter((record) => record.kind === "io" && record.port === "task" && record.taskId === taskId)
        .map((record) => record.seq)
        .at(-1)!;
      const at = /^diverged: task (t-\w+), actor research, seq 1 \(llm, trace record (\d+)\)$/.exec(
        diverged.stdout[0] ?? "",
      );
      expect(at?.[1]).toBe(taskId);
      expect(Number(at?.[2])).toBeGreaterThan(lastDelivery);
      expect(diverged.stdout.slice(1, 3)).toEqual([
        "  at messages[0].content",
        '  expected: "You are an old research prompt."',
      ]);
    } finally {
      await ollama.close();
    }
  }, 60_000);
});
