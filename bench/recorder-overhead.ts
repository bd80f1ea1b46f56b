// recorder-overhead: supervisor-routed no-op tasks a second with the host's default recording on (an
// Inspector watching the team — its machines' actors, events and snapshots, runtime events and
// supervision status — with every value redacted, each task's io records for replay, written to
// rotated trace files) divided by the same team with no recorder, in the same run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import {
  createInspector,
  createSupervisor,
  defineAgent,
  recordTaskIo,
  recordTrace,
  redactTraceValue,
  TraceFiles,
} from "@troupe/runtime";
import { type Figure, figure, median, progress, timeMs } from "./measure.ts";

const TASKS_PER_ROUND = 3_000;
const WARM_UP_TASKS = 3_000;
const ROUNDS = 7;

const routedTeam = (traceDir: string | undefined) => {
  const noop = defineAgent({ name: "noop", handle: () => undefined });
  const inspector = traceDir === undefined ? undefined : createInspector({ redact: redactTraceValue });
  const recorder = inspector ? recordTaskIo(inspector) : undefined;
  const team = createSupervisor({ agents: [noop], ...(recorder ? { io: recorder.io } : {}) });
  const detach = inspector?.attachTeam(team);
  const files = traceDir === undefined ? undefined : new TraceFiles({ dir: traceDir });
  const recording = inspector && files ? recordTrace(inspector, files) : undefined;
  return {
    run: async (count: number) => {
      for (let index = 0; index < count; index += 1) await team.ask(noop, "ping").result;
    },
    stop: async () => {
      detach?.();
      await recording?.close();
      files?.end();
      if (files) await finished(files);
      team.stop();
    },
  };
};

export const recorderOverhead = async (): Promise<Figure> => {
  const dir = mkdtempSync(join(tmpdir(), "troupe-bench-trace-"));
  try {
    const off = routedTeam(undefined);
    const on = routedTeam(join(dir, "traces"));
    await off.run(WARM_UP_TASKS);
    await on.run(WARM_UP_TASKS);
    const ratios: number[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      const offPerSecond = TASKS_PER_ROUND / ((await timeMs(() => off.run(TASKS_PER_ROUND))) / 1_000);
      const onPerSecond = TASKS_PER_ROUND / ((await timeMs(() => on.run(TASKS_PER_ROUND))) / 1_000);
      ratios.push(onPerSecond / offPerSecond);
      progress(
        `recorder-overhead round ${round}/${ROUNDS}: off ${Math.round(offPerSecond)}/s, recording ${Math.round(onPerSecond)}/s`,
      );
    }
    await off.stop();
    await on.stop();
    return figure("recorder-overhead", median(ratios), { atLeast: 0.8 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
