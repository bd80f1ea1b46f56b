// A machine-form agent's run survives the process: its state, context and spawned children are
// saved after every step and restored when the task is delivered again to a new team.

import { describe, expect, it } from "vitest";
import { assign, sendTo, setup } from "xstate";
import { MemorySnapshotStore } from "../durable/SnapshotStore.ts";
import { createTestTeam, flush } from "../testing/index.ts";
import type { AgentMachineInput } from "./AgentContext.ts";
import { defineAgent } from "./defineAgent.ts";

const checklist = setup({
  types: {} as { context: { ticked: number }; events: { type: "TICK" } },
}).createMachine({
  context: { ticked: 0 },
  on: { TICK: { actions: assign({ ticked: ({ context }) => context.ticked + 1 }) } },
});

/** Waits for a person's approval; keeps a spawned checklist child whose count must survive. */
const releaser = defineAgent({
  name: "releaser",
  machine: setup({
    types: {} as {
      input: AgentMachineInput;
      context: { version: string };
      events: { type: "CHECK" } | { type: "APPROVE" };
      output: { released: string; checks: number };
    },
    actors: { checklist },
  }).createMachine({
    context: ({ input }) => ({ version: input.task.text }),
    invoke: { id: "checks", src: "checklist" },
    initial: "awaitingApproval",
    states: {
      awaitingApproval: {
        on: {
          CHECK: { actions: sendTo("checks", { type: "TICK" }) },
          APPROVE: "released",
        },
      },
      released: { type: "final" },
    },
    output: ({ context, self }) => ({
      released: context.version,
      checks:
        (self.getSnapshot().children.checks?.getSnapshot().context as { ticked: number } | undefined)
          ?.ticked ?? -1,
    }),
  }),
});

describe("persisted machine-agent runs", () => {
  it("resumes a task awaiting approval in a new team, state, context and children included", async () => {
    const snapshots = new MemorySnapshotStore();
    const first = createTestTeam({ agents: [releaser], snapshots });
    const run = first.team.submit({ id: "release-7", agent: "releaser", text: "v7" });
    await first.next("task.started", (event) => event.taskId === run.id);
    first.team.send(run.id, { type: "CHECK" });
    first.team.send(run.id, { type: "CHECK" });
    await flush();
    const saved = (await snapshots.load("release-7")) as { value: string; context: { version: string } };
    expect(saved).toMatchObject({ value: "awaitingApproval", context: { version: "v7" } });
    first.team.stop(); // the process "dies" with the task open

    const second = createTestTeam({ agents: [releaser], snapshots });
    const resumed = second.team.submit(
      { id: "release-7", agent: "releaser", text: "v7" },
      { snapshot: saved },
    );
    await second.next("task.started", (event) => event.taskId === resumed.id);
    second.team.send(resumed.id, { type: "APPROVE" });
    await expect(resumed.result).resolves.toEqual({ released: "v7", checks: 2 });
    await second.next("task.succeeded");
    await flush();
    expect(await snapshots.load("release-7")).toBeUndefined();
    second.team.stop();
  });
});

describe("human answers across a restart", () => {
  it("gives a plain agent run again after a crash the answer it already had, without asking twice", async () => {
    const snapshots = new MemorySnapshotStore();
    const asked: string[] = [];
    const human = {
      ask: async (question: string) => {
        asked.push(question);
        return "yes, ship it";
      },
    };
    let crash = true;
    const shipper = defineAgent({
      name: "shipper",
      async handle(_task, ctx) {
        const answer = await ctx.askHuman("ship v7?");
        if (crash) return new Promise(() => {}); // the process dies here, after the answer
        return `shipped: ${answer}`;
      },
    });
    const first = createTestTeam({ agents: [shipper], snapshots, human });
    first.team.submit({ id: "ship-7", agent: "shipper", text: "v7" });
    await first.next("task.resumed");
    await flush();
    first.team.stop();

    crash = false;
    const second = createTestTeam({ agents: [shipper], snapshots, human });
    await expect(second.team.submit({ id: "ship-7", agent: "shipper", text: "v7" }).result).resolves.toBe(
      "shipped: yes, ship it",
    );
    expect(asked).toEqual(["ship v7?"]);
    await flush();
    expect(await snapshots.keys("human/ship-7/")).toEqual([]);
    second.team.stop();
  });
});
