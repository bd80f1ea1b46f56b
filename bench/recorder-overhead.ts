// recorder-overhead: supervisor-routed no-op tasks a second with the recorder on (an Inspector
// watching the team — its machines' actors, events and snapshots, runtime events and supervision
// status, as recorded by default — written to a JSONL trace) divided by the same team with no
// recorder, in the same run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInspector, createSupervisor, defineAgent, recordTrace } from "@troupe/runtime";
import { type Figure, figure, median, progress, timeMs } from "./measure.ts";

const TASKS_PER_ROUND = 3_000;
const WARM_UP_TASKS = 3_000;
const ROUNDS = 7;

const routedTeam = (tracePath: string | undefined) => {
  const noop = defineAgent({ name: "noop", handle: () => undefined });
  const team = createSupervisor({ agents: [noop] });
  const inspector = tracePath === undefined ? undefined : createInspector();
  const detach = inspector?.attachTeam(team);
  const recording = inspector && tracePath ? recordTrace(inspector, tracePath) : undefined;
  return {
    run: async (count: number) => {
      for (let index = 0; index < count; index += 1) await team.ask(noop, "ping").result;
    },
    stop: async () => {
      detach?.();
      await recording?.close();
      team.stop();
    },
  };
};

export const recorderOverhead = async (): Promise<Figure> => {
  const dir = mkdtempSync(join(tmpdir(), "troupe-bench-trace-"));
  try {
    const off = routedTeam(undefined);
    const on = routedTeam(join(dir, "run.jsonl"));
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
