// Replay: a recorded run (model calls with streamed tokens, a person's answer, a subtask) replays
// identically offline; a changed prompt is reported where the recorded I/O stops matching; a
// changed outcome is reported as the task's outcome; secrets never reach the trace.
import { Schema } from "effect";
import { describe, expect, it } from "vitest";
import { type AnyAgentDefinition, defineAgent } from "../../agent/defineAgent.ts";
import { EventBus } from "../../events/EventBus.ts";
import { defineTool } from "../../llm/defineTool.ts";
import type { HumanGateway } from "../../supervisor/HumanGateway.ts";
import { route } from "../../supervisor/routing.ts";
import { createSupervisor } from "../../supervisor/Team.ts";
import { ScriptedModel } from "../../testing/ScriptedModel.ts";
import { createInspector } from "../Inspector.ts";
import { redactTraceValue } from "../redactTraceValue.ts";
import type { TraceRecord } from "../TraceRecord.ts";
import { recordTaskIo } from "./recordTaskIo.ts";
import { replayTasks } from "./replayTasks.ts";

const writer = (prompt: string) =>
  defineAgent({
    name: "writer",
    capabilities: ["write"],
    async handle(task, ctx) {
      const topic = await ctx.askHuman("Which topic?");
      const reply = await ctx.llm.chat([
        { role: "system", content: prompt },
        { role: "user", content: `${task.text} about ${topic}` },
      ]);
      return { text: reply.content };
    },
  });

const lead = defineAgent({
  name: "lead",
  async handle(task, ctx) {
    const draft = (await ctx.delegate({ text: task.text, needs: ["write"] })) as { text: string };
    return { text: draft.text.toUpperCase() };
  },
});

const routes = [route.capability()];
const person: HumanGateway = { ask: async () => "otters token=hunter2secret" };

/** Run `text` through a team of `agents` on a scripted model, recording everything. */
const record = async (agents: readonly AnyAgentDefinition[], text: string): Promise<TraceRecord[]> => {
  const inspector = createInspector({ redact: redactTraceValue });
  const recorder = recordTaskIo(inspector);
  const bus = new EventBus();
  inspector.attach(bus);
  const team = createSupervisor({
    agents,
    bus,
    inspect: inspector.inspect,
    fallback: "lead",
    routes,
    llm: () => new ScriptedModel([{ tokens: ["Otters ", "hold ", "hands."] }]),
    human: recorder.human(person),
    io: recorder.io,
  });
  try {
    await team.submit({ text }).result;
  } finally {
    team.stop();
  }
  return [...inspector.records()];
};

describe("replayTasks", () => {
  it("records each tool run with its arguments and result, and replays without running the tool", async () => {
    let runs = 0;
    const lookup = defineTool({
      name: "lookup",
      description: "look a word up",
      parameters: Schema.Struct({ word: Schema.String }),
      run: ({ word }) => {
        runs += 1;
        return `${word}: a small mammal`;
      },
    });
    const finder = defineAgent({
      name: "finder",
      async handle(task, ctx) {
        const run = await ctx.llm.runTools([{ role: "user", content: task.text }], [lookup]);
        return run.reply.content;
      },
    });
    const inspector = createInspector({ redact: redactTraceValue });
    const recorder = recordTaskIo(inspector);
    const team = createSupervisor({
      agents: [finder],
      inspect: inspector.inspect,
      fallback: "finder",
      llm: () =>
        new ScriptedModel([
          { toolCalls: [{ name: "lookup", arguments: { word: "otter" } }] },
          "An otter is a mammal.",
        ]),
      io: recorder.io,
    });
    inspector.attach(team.bus);
    try {
      await expect(team.submit({ text: "what is an otter?" }).result).resolves.toBe("An otter is a mammal.");
    } finally {
      team.stop();
    }
    const records = [...inspector.records()];
    const tool = records.find((record) => record.kind === "io" && record.port === "tool");
    expect(tool).toMatchObject({
      request: { name: "lookup", arguments: { word: "otter" } },
      reply: "otter: a small mammal",
    });
    expect(runs).toBe(1);
    await expect(replayTasks(records, { team: { agents: [finder], fallback: "finder" } })).resolves.toEqual({
      identical: true,
      tasks: 1,
    });
    expect(runs).toBe(1);
  });

  it("replays a recorded run identically, subtasks, tokens and answers included", async () => {
    const records = await record([lead, writer("Be brief.")], "a poem");
    const io = records.filter((r) => r.kind === "io");
    expect(io.map((r) => r.port)).toEqual(["task", "task", "human", "llm", "outcome", "outcome"]);
    expect(io.find((r) => r.port === "llm")?.tokens).toEqual(["Otters ", "hold ", "hands."]);
    expect(JSON.stringify(records)).not.toContain("hunter2secret");

    await expect(
      replayTasks(records, {
        team: { agents: [lead, writer("Be brief.")], fallback: "lead", routes },
        redact: redactTraceValue,
      }),
    ).resolves.toEqual({
      identical: true,
      tasks: 1,
    });
  });

  it("reports a changed prompt as where the recorded I/O stops matching", async () => {
    const records = await record([lead, writer("Be brief.")], "a poem");
    const result = await replayTasks(records, {
      team: { agents: [lead, writer("Be long-winded.")], fallback: "lead", routes },
      redact: redactTraceValue,
    });
    expect(result).toMatchObject({ identical: false, divergence: { actor: "writer", what: "llm", seq: 1 } });
    if (result.identical) return;
    expect(JSON.stringify(result.divergence.expected)).toContain("Be brief.");
    expect(JSON.stringify(result.divergence.got)).toContain("Be long-winded.");
  });

  it("reports a changed outcome", async () => {
    const records = await record([lead, writer("Be brief.")], "a poem");
    const shouting = defineAgent({
      name: "lead",
      async handle(task, ctx) {
        const draft = (await ctx.delegate({ text: task.text, needs: ["write"] })) as { text: string };
        return { text: `${draft.text}!` };
      },
    });
    const result = await replayTasks(records, {
      team: { agents: [shouting, writer("Be brief.")], fallback: "lead", routes },
      redact: redactTraceValue,
    });
    expect(result).toMatchObject({ identical: false, divergence: { actor: "lead", what: "outcome" } });
  });
});
