// idle-agent-heap: heap bytes one idle agent costs in a team (its definition, its agent host
// actor and the supervisor's bookkeeping for it) compared with one bare XState actor of a simple
// idle machine, both measured as heapUsed deltas after a full GC over 10,000 of them.
import { createSupervisor, defineAgent, type Team } from "@troupe/runtime";
import { type AnyActorRef, createActor, createMachine } from "xstate";
import { type Figure, figure, progress, settledHeap } from "./measure.ts";

const COUNT = 10_000;
const WARM_UP_COUNT = 1_000;

const idleMachine = createMachine({
  id: "idle",
  initial: "idle",
  states: { idle: { on: { go: "idle" } } },
});

const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;

/** Bytes per bare actor of `idleMachine`, started and kept alive. */
const bareActorBytes = async (count: number): Promise<number> => {
  const before = await settledHeap();
  const actors: AnyActorRef[] = [];
  for (let index = 0; index < count; index += 1) actors.push(createActor(idleMachine).start());
  const after = await settledHeap();
  for (const actor of actors) actor.stop();
  return (after - before) / count;
};

/** Bytes per idle agent of a team of `count`, split into the definitions and the running team. */
const teamAgentBytes = async (count: number) => {
  const before = await settledHeap();
  const agents = Array.from({ length: count }, (_, index) =>
    defineAgent({ name: `agent-${index}`, handle: async () => undefined }),
  );
  const defined = await settledHeap();
  const team: Team = createSupervisor({ agents });
  const running = await settledHeap();
  if (team.status().agents.length !== count) throw new Error("not every agent started");
  // The team is left to the collector rather than stopped: with nothing running it holds no timers,
  // and stopping 10,000 children costs XState time quadratic in their number (it copies the children
  // map once per child), which would dominate the run without telling anything about memory.
  return {
    perAgent: (running - before) / count,
    definition: (defined - before) / count,
    running: (running - defined) / count,
  };
};

export const idleAgentHeap = async (): Promise<Figure> => {
  // Warm both paths once so code and shared structures are not counted as per-actor cost.
  await bareActorBytes(WARM_UP_COUNT);
  await teamAgentBytes(WARM_UP_COUNT);
  const bare = await bareActorBytes(COUNT);
  progress(`idle-agent-heap: bare XState actor ${kib(bare)} each`);
  const startedAt = performance.now();
  const team = await teamAgentBytes(COUNT);
  progress(
    `idle-agent-heap: a team of ${COUNT} agents took ${Math.round(performance.now() - startedAt)} ms to define and start`,
  );
  progress(
    `idle-agent-heap: team agent ${kib(team.perAgent)} each (definition ${kib(team.definition)}, actor and supervisor slot ${kib(team.running)})`,
  );
  return figure("idle-agent-heap", team.perAgent / bare, { atMost: 1.5 });
};
