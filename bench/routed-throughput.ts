// routed-throughput: how many no-op tasks a second get through the supervisor (submit, route,
// dispatch to the agent actor, run its handle, report back, settle the Run) compared with a raw
// XState actor doing the same fromPromise round trip: idle → working (invoke a no-op promise) → idle.
import { createSupervisor, defineAgent } from "@troupe/runtime";
import { createActor, fromPromise, setup } from "xstate";
import { type Figure, figure, median, progress, timeMs } from "./measure.ts";

const TASKS_PER_ROUND = 3_000;
const WARM_UP_TASKS = 5_000;
const ROUNDS = 9;

const roundTripMachine = setup({
  actors: { work: fromPromise(async () => undefined) },
}).createMachine({
  initial: "idle",
  states: {
    idle: { on: { go: "working" } },
    working: { invoke: { src: "work", onDone: "idle" } },
  },
});

/** The baseline: send `go`, wait until the actor is idle again, repeat. */
const rawRoundTrips = () => {
  const actor = createActor(roundTripMachine).start();
  let backToIdle: (() => void) | undefined;
  actor.subscribe((snapshot) => {
    if (snapshot.value === "idle") backToIdle?.();
  });
  return async (count: number) => {
    for (let index = 0; index < count; index += 1) {
      const idle = new Promise<void>((resolve) => {
        backToIdle = resolve;
      });
      actor.send({ type: "go" });
      await idle;
    }
  };
};

/** Troupe: one no-op agent, each task submitted with `team.ask` and its result awaited. */
const routedRoundTrips = () => {
  const noop = defineAgent({ name: "noop", handle: () => undefined });
  const team = createSupervisor({ agents: [noop] });
  return {
    run: async (count: number) => {
      for (let index = 0; index < count; index += 1) await team.ask(noop, "ping").result;
    },
    stop: () => team.stop(),
  };
};

export const routedThroughput = async (): Promise<Figure> => {
  const raw = rawRoundTrips();
  const routed = routedRoundTrips();
  await raw(WARM_UP_TASKS);
  await routed.run(WARM_UP_TASKS);
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const rawPerSecond = TASKS_PER_ROUND / ((await timeMs(() => raw(TASKS_PER_ROUND))) / 1_000);
    const routedPerSecond = TASKS_PER_ROUND / ((await timeMs(() => routed.run(TASKS_PER_ROUND))) / 1_000);
    ratios.push(routedPerSecond / rawPerSecond);
    progress(
      `routed-throughput round ${round}/${ROUNDS}: raw ${Math.round(rawPerSecond)}/s, routed ${Math.round(routedPerSecond)}/s`,
    );
  }
  routed.stop();
  return figure("routed-throughput", median(ratios), { atLeast: 0.5 });
};
