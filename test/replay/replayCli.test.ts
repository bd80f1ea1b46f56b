// Deterministic replay through the product: the real `troupe start` with research on the Ollama
// stand-in records its trace by default (private, in <data dir>/traces); `troupe replay` of that
// trace, with no Ollama running, says every task is identical; a trace whose recorded prompt differs
// from what the agent asks now is reported where the recorded I/O stops matching, with exit 1 and
// the command that opens it in the visualizer. What research recalled from the host's semantic
// memory is recorded and given back: a replay without the data folder (no memory store) asks the
// model what the recorded run asked.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { spawnTroupe } from "../../apps/host/src/testing/spawnTroupe.ts";
import { startOllamaStandIn } from "../harness/ollamaStandIn.ts";
import { researchReply } from "../harness/researchReplies.ts";
import { recordResearchTrace, withChangedPrompt } from "../harness/researchTrace.ts";
import { traceRecordsOf } from "../harness/traceRecords.ts";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A new data folder, removed after the test, and the trace `troupe start` recorded in it. */
const recordRun = async (): Promise<string> => {
  const dataDir = mkdtempSync(join(tmpdir(), "troupe-replay-"));
  folders.push(dataDir);
  return recordResearchTrace(dataDir);
};

describe("troupe replay", () => {
  it("replays what troupe start recorded, offline, identically; a changed prompt diverges with exit 1", async () => {
    const trace = await recordRun();

    const replay = spawnTroupe(["replay", trace], { OLLAMA_HOST: "http://127.0.0.1:9" });
    const replayed = await replay.exited;
    expect(replay.stdout).toEqual(["identical: 2 tasks"]);
    expect(replayed).toBe(0);

    // The recording asked the model something else than the research agent asks now.
    const changed = join(folders[0]!, "changed.jsonl");
    withChangedPrompt(trace, changed, "You are an old research prompt.");
    const diverged = spawnTroupe(["replay", changed]);
    expect(await diverged.exited).toBe(1);
    expect(diverged.stdout[0]).toMatch(
      /^diverged: task t-\w+, actor research, seq 1 \(llm, trace record \d+\)$/,
    );
    expect(diverged.stdout[1]).toBe("  at messages[0].content");
    expect(diverged.stdout[2]).toBe('  expected: "You are an old research prompt."');
    const task = /^diverged: task (t-\w+)/.exec(diverged.stdout[0]!)![1];
    expect(diverged.stdout.at(-1)).toBe(
      `see it in the visualizer: troupe inspect ${changed} --replay --task ${task}`,
    );
  }, 60_000);

  it("forks a recorded task: replays up to a record, then goes on live, recorded in a new trace", async () => {
    const trace = await recordRun();
    const io = traceRecordsOf(trace).filter((record) => record.kind === "io");
    const plan = io.find((record) => record.port === "llm" && record.agent === "research")!;
    // Another model now: its answers differ from the recorded ones.
    const ollama = await startOllamaStandIn({
      defaultReply: (request) => {
        const format = request.body?.format as { properties?: Record<string, unknown> } | undefined;
        return "summary" in (format?.properties ?? {})
          ? { content: JSON.stringify({ summary: "a different answer", sources: [] }) }
          : researchReply(request);
      },
    });
    const dataDir = folders[0]!;
    try {
      const fork = spawnTroupe(
        ["replay", trace, "--task", plan.taskId!, "--until", String(plan.seq), "--live"],
        {
          OLLAMA_HOST: ollama.url,
          TROUPE_DATA_DIR: dataDir,
        },
      );
      expect(await fork.exited).toBe(0);
      expect(fork.stdout[0]).toBe(
        `forked: task ${plan.taskId} went live at its llm call 2 (replayed up to trace record ${plan.seq})`,
      );
      expect(fork.stdout[1]).toMatch(
        /^succeeded: \{"question":"why is the sky blue","summary":"a different answer"/,
      );
      const forked = /^trace: (.+)$/.exec(fork.stdout[2] ?? "")?.[1];
      expect(forked).toBeDefined();
      expect(
        traceRecordsOf(forked!).find((record) => record.kind === "io" && record.port === "fork"),
      ).toMatchObject({ call: 1, request: { until: plan.seq } });
      // Only the live call reached the model; the forked run is itself a trace that replays.
      expect(ollama.requestsTo("/api/chat")).toHaveLength(1);
      const again = spawnTroupe(["replay", forked!]);
      expect(await again.exited).toBe(0);
      expect(again.stdout).toEqual(["identical: 1 task"]);
    } finally {
      await ollama.close();
    }
  }, 60_000);

  it("replays a task that recalled past work from memory, without the memory store", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "troupe-replay-memory-"));
    folders.push(dataDir);
    const ollama = await startOllamaStandIn({
      defaultReply: researchReply,
      models: ["qwen3:8b", "llama3.2:3b", "nomic-embed-text"],
    });
    try {
      const troupe = spawnTroupe(["start"], {
        TROUPE_DATA_DIR: dataDir,
        TROUPE_AGENTS: "research",
        OLLAMA_HOST: ollama.url,
      });
      await troupe.log("troupe started");
      troupe.send("/ask research why do cats purr");
      await troupe.line(/why do cats purr/);
      const first = troupe.stdout.length;
      troupe.send("/ask research why do cats purr");
      await troupe.line(/why do cats purr/, { from: first });
      troupe.end();
      expect(await troupe.exited).toBe(0);
    } finally {
      await ollama.close();
    }
    // The second run's plan was asked with what memory recalled of the first.
    const plans = ollama
      .requestsTo("/api/chat")
      .map((request) => JSON.stringify(request.body?.messages))
      .filter((messages) => messages.includes("First, plan"));
    expect(plans[1]).toContain("Related past work");
    const traces = join(dataDir, "traces");
    const [file] = readdirSync(traces);
    const elsewhere = mkdtempSync(join(tmpdir(), "troupe-replay-trace-"));
    folders.push(elsewhere);
    const trace = join(elsewhere, "memory.jsonl");
    writeFileSync(trace, readFileSync(join(traces, file!)));
    rmSync(dataDir, { recursive: true, force: true }); // no store, no Ollama: the trace alone

    const replay = spawnTroupe(["replay", trace], { OLLAMA_HOST: "http://127.0.0.1:9" });
    expect(await replay.exited).toBe(0);
    expect(replay.stdout).toEqual(["identical: 2 tasks"]);
  }, 60_000);

  it("explains itself and refuses bad input", async () => {
    const help = spawnTroupe(["replay", "--help"]);
    expect(await help.exited).toBe(0);
    expect(help.stdout[0]).toMatch(/^troupe replay: re-run recorded tasks offline/);
    const missing = spawnTroupe(["replay", "/nonexistent/trace.jsonl"]);
    expect(await missing.exited).toBe(2);
    expect(missing.stderr[0]).toBe("troupe replay: no trace at /nonexistent/trace.jsonl");
  });
});
