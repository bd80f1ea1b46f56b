// Machine-form agents: a full XState machine as the agent, driven by typed events through its run,
// with its final output as the task's result and an event it cannot take refused clearly.

import { describe, expect, it } from "vitest";
import { assign, setup } from "xstate";
import { createTestTeam } from "../testing/index.ts";
import type { AgentMachineInput } from "./AgentContext.ts";
import { defineAgent } from "./defineAgent.ts";

export const deployer = defineAgent({
  name: "deployer",
  capabilities: ["deploy"],
  machine: setup({
    types: {} as {
      input: AgentMachineInput;
      context: { env: string | undefined; requestedBy: string };
      events: { type: "DEPLOY"; env: "staging" | "prod" } | { type: "ABORT" };
      output: { deployed: string };
    },
  }).createMachine({
    context: ({ input }) => ({ env: undefined, requestedBy: input.task.from ?? "someone" }),
    initial: "waiting",
    states: {
      waiting: {
        on: {
          DEPLOY: { target: "deployed", actions: assign({ env: ({ event }) => event.env }) },
          ABORT: "aborted",
        },
      },
      deployed: { type: "final" },
      aborted: { type: "final" },
    },
    output: ({ context }) => ({ deployed: context.env ?? "nothing" }),
  }),
});

describe("machine-form agents", () => {
  it("runs the machine per task, takes typed events through the run, and returns its output", async () => {
    const { team, next } = createTestTeam({ agents: [deployer] });
    const run = team.ask(deployer, { text: "ship", from: "ana" });
    await next("task.started", (event) => event.taskId === run.id);
    run.send({ type: "DEPLOY", env: "staging" });
    await expect(run.result).resolves.toEqual({ deployed: "staging" });
    team.stop();
  });

  it("refuses an event the machine cannot take in its state, naming the state", async () => {
    const { team, next } = createTestTeam({ agents: [deployer] });
    const run = team.ask(deployer, "ship");
    await next("task.started", (event) => event.taskId === run.id);
    expect(() => run.send({ type: "LAUNCH" } as never)).toThrow(
      'agent deployer cannot take "LAUNCH" in state "waiting"',
    );
    run.send({ type: "ABORT" });
    await expect(run.result).resolves.toEqual({ deployed: "nothing" });
    expect(() => run.send({ type: "ABORT" })).toThrow(/is not running on any agent/);
    team.stop();
  });
});
