// Step-level resume through the real `troupe start`: a host SIGKILLed while research is writing its
// answer is started again on the same data folder, and the task finishes from the step it was in.
// The Ollama stand-in counts the model calls: the plan, finished before the kill, is never asked again;
// only the answer that was cut off is asked a second time. The replay command the second host prints
// under the answer replays the resumed task offline, from the snapshot it resumed from, identically —
// and so does the first host's trace, read on across the restart; a recording whose snapshot says
// otherwise diverges at the model call it changes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listTraceFiles } from "@troupe/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type OllamaStandIn, type StandInRequest, startOllamaStandIn } from "../harness/ollamaStandIn.ts";
import { isPlanRequest, researchReply } from "../harness/researchReplies.ts";
import { traceRecordsOf, writeTraceRecords } from "../harness/traceRecords.ts";

const isAnswerRequest = (request: StandInRequest) =>
  request.path === "/api/chat" &&
  Object.keys((request.body?.format as { properties?: object } | undefined)?.properties ?? {}).includes(
    "summary",
  );

let standIn: OllamaStandIn | undefined;
let folder: string | undefined;
const running = new Set<TroupeProcess>();

afterEach(async () => {
  for (const troupe of running) {
    troupe.child.kill("SIGKILL");
    await troupe.exited;
  }
  running.clear();
  await standIn?.close();
  standIn = undefined;
  if (folder) rmSync(folder, { recursive: true, force: true });
});

const startResearch = (dataDir: string) => {
  const troupe = spawnTroupe(["start"], {
    TROUPE_AGENTS: "research",
    TROUPE_DATA_DIR: dataDir,
    TROUPE_CONSUMER: "research-resume-test",
    OLLAMA_HOST: standIn!.url,
    MODEL_DEFAULT: "qwen3:8b",
    MODEL_RESEARCH: undefined,
    MODEL_EMBED: undefined,
  });
  running.add(troupe);
  return troupe;
};

describe("troupe start resumes a research task at its step after a SIGKILL", { timeout: 60_000 }, () => {
  it("asks the model for the plan once, again only for the answer cut off; the resumed task replays identically", async () => {
    folder = mkdtempSync(join(tmpdir(), "troupe-research-resume-"));
    let answers = 0;
    standIn = await startOllamaStandIn({
      models: ["qwen3:8b"],
      // The first answer never comes: the host is killed while research is summarizing.
      defaultReply: (request) =>
        isAnswerRequest(request) && ++answers === 1
          ? { ...researchReply(request), hold: new Promise(() => {}) }
          : researchReply(request),
    });
    const first = startResearch(folder);
    await first.log("troupe started");
    first.send("/ask research what is a closure?");
    await standIn.waitForRequest(isAnswerRequest, 20_000);
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    running.delete(first);
    expect(standIn.requests.filter(isPlanRequest)).toHaveLength(1);

    const second = startResearch(folder);
    const done = await second.line(/✅ done$/);
    expect(standIn.requests.filter(isPlanRequest)).toHaveLength(1);
    expect(standIn.requests.filter(isAnswerRequest)).toHaveLength(2);
    const replayLine = second.stdout[second.stdout.indexOf(done) - 1]!;
    second.end();
    expect(await second.exited).toBe(0);
    running.delete(second);

    // Each start wrote a trace file of its own; the second host's line names its own.
    const [firstTrace, secondTrace, ...more] = await listTraceFiles(join(folder, "traces"));
    expect(more).toEqual([]);
    const taskId = /^\[(t-[0-9a-f]+)\]/.exec(done)![1]!;
    expect(replayLine).toBe(`replay offline: troupe replay ${secondTrace} --task ${taskId}`);
    await standIn.close();
    standIn = undefined;
    const offline = { OLLAMA_HOST: "http://127.0.0.1:9" };
    const printed = spawnTroupe(replayLine.replace("replay offline: troupe ", "").split(" "), offline);
    expect(await printed.exited).toBe(0);
    expect(printed.stdout).toEqual(["identical: 1 task"]);
    const acrossTheRestart = spawnTroupe(["replay", firstTrace!, "--task", taskId], offline);
    expect(await acrossTheRestart.exited).toBe(0);
    expect(acrossTheRestart.stdout).toEqual(["identical: 1 task"]);

    // The replay starts from the recorded snapshot: one that holds another plan asks another answer.
    const changed = join(folder, "changed.jsonl");
    const records = traceRecordsOf(secondTrace!);
    const resumedAt = records.findIndex((record) => record.kind === "io" && record.port === "task");
    const resumed = JSON.stringify(records[resumedAt]);
    expect(resumed).toContain('"snapshot":{"status":"active","value":"summarizing"');
    records[resumedAt] = JSON.parse(resumed.replaceAll("1. answer from what I know", "1. guess"));
    writeTraceRecords(changed, records);
    const diverged = spawnTroupe(["replay", changed, "--task", taskId], offline);
    expect(await diverged.exited).toBe(1);
    expect(diverged.stdout.slice(0, 3)).toEqual([
      expect.stringMatching(
        new RegExp(`^diverged: task ${taskId}, actor research, seq 1 \\(llm, trace record \\d+\\)$`),
      ),
      "  at messages[2].content",
      `  expected: "Plan:\\n1. answer from what I know"`,
    ]);
  });
});
