// replay-speed: recorded tasks replayed a second ÷ the same tasks run live, in the same run. Live is
// the host's research agent on the Ollama stand-in answering at once (the real `ollama` client over
// HTTP, each task a plan and an answer), recorded as the host records (redacted, io records, rotated
// trace files); replay is what `troupe replay` does with those files: read them and re-run every task
// offline on the host's replay team, comparing each step, with no model.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import {
  createInspector,
  createSupervisor,
  listTraceFiles,
  readTrace,
  recordTaskIo,
  recordTrace,
  redactTraceValue,
  replayTasks,
  TraceFiles,
  type TraceRecord,
} from "@troupe/runtime";
import { createOllamaLlm } from "@troupe/runtime/ollama";
import { hostReplayTeam } from "../apps/host/src/replay/hostReplayTeam.ts";
import { startOllamaStandIn } from "../test/harness/ollamaStandIn.ts";
import { researchReply } from "../test/harness/researchReplies.ts";
import { type Figure, figure, median, progress, timeMs } from "./measure.ts";

const TASKS_PER_ROUND = 1_000;
const ROUNDS = 3;

/** Run `count` research tasks live, recorded into `dir` as the host records them. */
const runLive = async (ollamaHost: string, dir: string, count: number) => {
  const { agents, ...routing } = hostReplayTeam(["research"]);
  const inspector = createInspector({ redact: redactTraceValue });
  const recorder = recordTaskIo(inspector);
  const team = createSupervisor({
    agents,
    ...routing,
    io: recorder.io,
    llm: (role) => createOllamaLlm({ role, env: { OLLAMA_HOST: ollamaHost, MODEL_DEFAULT: "qwen3:8b" } }),
  });
  const detach = inspector.attachTeam(team);
  const files = new TraceFiles({ dir });
  const recording = recordTrace(inspector, files);
  const research = agents.find((agent) => agent.name === "research")!;
  const ms = await timeMs(async () => {
    for (let index = 0; index < count; index += 1)
      await team.submit({ agent: research.name, text: `question ${index}` }).result;
  });
  detach();
  await recording.close();
  files.end();
  await finished(files);
  team.stop();
  return ms;
};

/** Read the trace files in `dir` and replay every task in them; fails unless identical. */
const replayDir = async (dir: string, count: number) => {
  const records: TraceRecord[] = [];
  for (const file of await listTraceFiles(dir))
    for await (const record of readTrace(file)) records.push(record);
  const result = await replayTasks(records, {
    team: (names) => hostReplayTeam(names),
    redact: redactTraceValue,
  });
  if (!result.identical || result.tasks !== count)
    throw new Error(
      `replay-speed: the replay was not identical for ${count} tasks: ${JSON.stringify(result)}`,
    );
};

export const replaySpeed = async (): Promise<Figure> => {
  const standIn = await startOllamaStandIn({ models: ["qwen3:8b"], defaultReply: researchReply });
  const root = mkdtempSync(join(tmpdir(), "troupe-bench-replay-"));
  try {
    const warmUp = join(root, "warm-up");
    await runLive(standIn.url, warmUp, 30);
    await replayDir(warmUp, 30);
    const ratios: number[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      const dir = join(root, `round-${round}`);
      const liveMs = await runLive(standIn.url, dir, TASKS_PER_ROUND);
      const replayMs = await timeMs(() => replayDir(dir, TASKS_PER_ROUND));
      const livePerSecond = TASKS_PER_ROUND / (liveMs / 1_000);
      const replayedPerSecond = TASKS_PER_ROUND / (replayMs / 1_000);
      ratios.push(replayedPerSecond / livePerSecond);
      progress(
        `replay-speed round ${round}/${ROUNDS}: live ${Math.round(livePerSecond)}/s, replayed ${Math.round(replayedPerSecond)}/s`,
      );
    }
    return figure("replay-speed", median(ratios), { atLeast: 1 });
  } finally {
    await standIn.close();
    rmSync(root, { recursive: true, force: true });
  }
};
