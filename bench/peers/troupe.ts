// Troupe's side of the peer workloads: plain agents on one team for W1, W2 and W4; a machine-form
// agent of three invoked steps for W3, its run saved in the team's SnapshotStore after every step
// (in memory, or the embedded SQLite store on disk).
import { setTimeout as sleep } from "node:timers/promises";
import { type AgentMachineInput, createSupervisor, defineAgent, MemorySnapshotStore } from "@troupe/runtime";
import { openSqliteSnapshotStore } from "@troupe/runtime/sqlite";
import { fromPromise, setup } from "xstate";
import { BRANCH_MS, BRANCHES, type Workloads } from "./workloads.ts";

const noStep = fromPromise(async () => undefined);

/** Three invoked no-op steps, one after the other; the runner saves the run after each. */
export const threeSteps = defineAgent({
  name: "three-steps",
  machine: setup({
    types: {} as { input: AgentMachineInput; output: { steps: number } },
    actors: { noStep },
  }).createMachine({
    initial: "first",
    states: {
      first: { invoke: { src: "noStep", onDone: "second" } },
      second: { invoke: { src: "noStep", onDone: "third" } },
      third: { invoke: { src: "noStep", onDone: "done" } },
      done: { type: "final" },
    },
    output: () => ({ steps: 3 }),
  }),
});

export const troupe: Workloads = {
  name: "Troupe",
  note: "W1/W2: a task routed to an agent actor and settled, nothing written; W3: the run's XState snapshot saved after each step (MemorySnapshotStore; on disk the SQLite snapshot store, one transaction each) and deleted at the end",
  async noop() {
    const noop = defineAgent({ name: "noop", handle: () => undefined });
    const team = createSupervisor({ agents: [noop] });
    return {
      run: async (count) => {
        for (let index = 0; index < count; index += 1) await team.ask(noop, "ping").result;
      },
      stop: async () => team.stop(),
    };
  },
  async fanOut() {
    const agents = Array.from({ length: BRANCHES }, (_, index) =>
      defineAgent({
        name: `branch-${index}`,
        handle: async (_task, ctx) => {
          await sleep(BRANCH_MS, undefined, { signal: ctx.signal });
          return index;
        },
      }),
    );
    const team = createSupervisor({ agents });
    return {
      run: async () => {
        await team.fanOut(agents, "work", { join: "all" });
      },
      stop: async () => team.stop(),
    };
  },
  onDisk: true,
  async steps(file) {
    const store = file === undefined ? undefined : openSqliteSnapshotStore({ path: file });
    const team = createSupervisor({ agents: [threeSteps], snapshots: store ?? new MemorySnapshotStore() });
    return {
      run: async (id) => {
        await team.submit({ id, agent: threeSteps.name, text: "go" }).result;
      },
      stop: async () => {
        team.stop();
        await store?.close();
      },
    };
  },
  async idle(count) {
    const agents = Array.from({ length: count }, (_, index) =>
      defineAgent({ name: `agent-${index}`, handle: async () => undefined }),
    );
    return createSupervisor({ agents });
  },
};
