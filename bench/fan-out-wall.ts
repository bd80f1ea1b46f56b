// fan-out-wall: a fan-out of 5 branches to 5 agents that each take a fixed 50 ms should take about
// as long as one such branch alone, since the branches run in parallel. Wall time of the fan-out
// divided by the wall time of one branch run alone (a single task to one of the agents).
import { setTimeout as sleep } from "node:timers/promises";
import { createSupervisor, defineAgent } from "@troupe/runtime";
import { type Figure, figure, median, progress, timeMs } from "./measure.ts";

const BRANCHES = 5;
const LATENCY_MS = 50;
const ROUNDS = 12;

export const fanOutWall = async (): Promise<Figure> => {
  const agents = Array.from({ length: BRANCHES }, (_, index) =>
    defineAgent({
      name: `worker-${index}`,
      handle: async (_task, ctx) => {
        await sleep(LATENCY_MS, undefined, { signal: ctx.signal });
        return index;
      },
    }),
  );
  const team = createSupervisor({ agents });
  const [first] = agents;
  const alone = () => team.ask(first!, "work").result;
  const fanned = () => team.fanOut(agents, "work", { join: "all" });
  await alone();
  await fanned();
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const aloneMs = await timeMs(alone);
    const fannedMs = await timeMs(fanned);
    ratios.push(fannedMs / aloneMs);
    if (round % 4 === 0) {
      progress(
        `fan-out-wall round ${round}/${ROUNDS}: one branch ${aloneMs.toFixed(1)} ms, ${BRANCHES} branches ${fannedMs.toFixed(1)} ms`,
      );
    }
  }
  await team.drain({ deadline: "1s" });
  return figure("fan-out-wall", median(ratios), { atMost: 1.1 });
};
