// Replay: a recorded run (model calls with streamed tokens, a person's answer, a subtask) replays
// identically offline; a changed prompt is reported where the recorded I/O stops matching; a
// changed outcome is reported as the task's outcome; secrets never reach the trace; an agent's clock
// readings, random ids and memory recalls are given back as recorded, so it replays on another day
// and without the memory store, and a changed reading shows as a divergence. A trace recorded when a
// plain agent's handler still ran as an invoked promise actor replays identically today. A task
// that failed — on each delivery a durable queue retried — replays its last delivery, the model's
// recorded error given back as the same error; a run the team's stop interrupted has no outcome.
import { Schema } from "effect";
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "xstate";
import { type AnyAgentDefinition, defineAgent } from "../../agent/defineAgent.ts";
import { isTroupeError, TroupeError } from "../../errors/TroupeError.ts";
import { EventBus } from "../../events/EventBus.ts";
import { defineTool } from "../../llm/defineTool.ts";
import type { SemanticMemory } from "../../memory/SemanticMemory.ts";
import type { HumanGateway } from "../../supervisor/HumanGateway.ts";
import { route } from "../../supervisor/routing.ts";
import { createSupervisor } from "../../supervisor/Team.ts";
import { ScriptedModel } from "../../testing/ScriptedModel.ts";
import { createInspector } from "../Inspector.ts";
import { redactTraceValue } from "../redactTraceValue.ts";
import type { TraceRecord, TraceRecordOf } from "../TraceRecord.ts";
import type { Json } from "../toJsonSafe.ts";
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

/** Run `texts` at once through a team of `agents` on a scripted model, recording everything. */
const record = async (agents: readonly AnyAgentDefinition[], ...texts: string[]): Promise<TraceRecord[]> => {
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
    llm: () => new ScriptedModel(texts.map(() => ({ tokens: ["Otters ", "hold ", "hands."] }))),
    human: recorder.human(person),
    io: recorder.io,
  });
  try {
    await Promise.all(texts.map((text) => team.submit({ text }).result));
  } finally {
    team.stop();
  }
  return [...inspector.records()];
};

/** An agent whose output depends on the clock, a random id and what its memory recalls. */
const stamper = defineAgent({
  name: "stamper",
  async handle(task, ctx) {
    const recalled = await ctx.memory.recall(task.text, { limit: 1 });
    return {
      id: ctx.randomId(),
      day: new Date(ctx.now()).toISOString().slice(0, 10),
      recalled: recalled.map((memory) => memory.text),
    };
  },
});

/** A semantic store that knows one thing (the replay has none). */
const knowsOtters: SemanticMemory = {
  search: "plain",
  recall: async () => [{ id: "m-1", text: "otters hold hands", metadata: {}, createdAt: 0, score: 0.9 }],
  remember: async () => {
    throw new Error("not in this test");
  },
  forget: async () => {},
  close: async () => {},
};

/** Works in steps of 100 ms on the team's clock, as agents are told to wait. */
const napper = defineAgent({
  name: "napper",
  async handle(task, ctx) {
    const startedAt = ctx.now();
    for (let step = 0; step < 3; step += 1) {
      ctx.heartbeat();
      await ctx.sleep(100);
    }
    return { text: `${task.text} after ${ctx.now() - startedAt}ms` };
  },
});

describe("replayTasks", () => {
  it("replays an agent's waits on the simulated clock, in order with the task's deadline", async () => {
    const inspector = createInspector({ redact: redactTraceValue });
    const recorder = recordTaskIo(inspector);
    const bus = new EventBus();
    inspector.attach(bus);
    const team = createSupervisor({
      agents: [napper],
      fallback: "napper",
      bus,
      inspect: inspector.inspect,
      io: recorder.io,
    });
    try {
      // A deadline of 1 s: the replay's clock moves in steps of up to a second when idle.
      await expect(team.submit({ text: "woke", deadline: "1s" }).result).resolves.toMatchObject({
        text: expect.stringMatching(/^woke after \d+ms$/),
      });
    } finally {
      team.stop();
    }
    await expect(
      replayTasks([...inspector.records()], { team: { agents: [napper], fallback: "napper" } }),
    ).resolves.toEqual({ identical: true, tasks: 1 });
  });

  it("gives back the recorded clock readings, random ids and memory recalls; a changed reading diverges", async () => {
    const inspector = createInspector({ redact: redactTraceValue });
    const recorder = recordTaskIo(inspector);
    const clock = new SimulatedClock();
    clock.set(Date.UTC(2025, 0, 1, 9, 0)); // the team's day: not the replay's
    const bus = new EventBus({ clock });
    inspector.attach(bus);
    const team = createSupervisor({
      agents: [stamper],
      fallback: "stamper",
      bus,
      clock,
      inspect: inspector.inspect,
      memory: { semantic: knowsOtters },
      io: recorder.io,
    });
    let output: unknown;
    try {
      output = await team.submit({ text: "what do otters do" }).result;
    } finally {
      team.stop();
    }
    expect(output).toMatchObject({ day: "2025-01-01", recalled: ["otters hold hands"] });
    const records = [...inspector.records()];

    // Another day, no memory store: the same output.
    await expect(replayTasks(records, { team: { agents: [stamper], fallback: "stamper" } })).resolves.toEqual(
      {
        identical: true,
        tasks: 1,
      },
    );

    // A changed reading: the task answers otherwise, reported as its outcome.
    const changed = records.map((record) =>
      record.kind === "io" && record.port === "clock" ? { ...record, reply: Date.UTC(2025, 5, 1) } : record,
    );
    const result = await replayTasks(changed, { team: { agents: [stamper], fallback: "stamper" } });
    expect(result.identical).toBe(false);
    if (result.identical) return;
    expect(result.divergence).toMatchObject({ actor: "stamper", what: "outcome" });
    expect(JSON.stringify(result.divergence.expected)).toContain("2025-01-01");
    expect(JSON.stringify(result.divergence.got)).toContain("2025-06-01");

    // A reading the recording does not have: the run stops matching there.
    const unread = records.filter((record) => !(record.kind === "io" && record.port === "random"));
    const missing = await replayTasks(unread, { team: { agents: [stamper], fallback: "stamper" } });
    expect(missing.identical).toBe(false);
    if (missing.identical) return;
    expect(missing.divergence).toMatchObject({ actor: "stamper", what: "random", seq: 1, expected: null });
  });

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

  it("replays a trace from when plain agents' runs ended in the invoked actor's xstate.done.actor.task", async () => {
    const records = await record([lead, writer("Be brief.")], "a poem");
    // What the same run recorded before the handler ran without an actor of its own.
    const before = records.map((record): TraceRecord => {
      if (record.kind === "event" && record.type === "troupe.task.done") {
        const { output } = record.event as { output: Json };
        const event = { type: "xstate.done.actor.task", output, actorId: "task" };
        return { ...record, type: event.type, event };
      }
      if (record.kind === "snapshot" && record.cause === "troupe.task.done")
        return { ...record, cause: "xstate.done.actor.task" };
      return record;
    });
    const ended = before.filter(
      (record) => record.kind === "snapshot" && record.cause === "xstate.done.actor.task",
    );
    expect(ended.length).toBeGreaterThanOrEqual(2); // the writer's run and the lead's
    await expect(
      replayTasks(before, {
        team: { agents: [lead, writer("Be brief.")], fallback: "lead", routes },
        redact: redactTraceValue,
      }),
    ).resolves.toEqual({ identical: true, tasks: 1 });
  });

  it("replays a task that failed on every delivery as its last delivery; an interrupted run has no outcome", async () => {
    const asker = (prompt: string) =>
      defineAgent({
        name: "asker",
        async handle(task, ctx) {
          const question = `${task.text} at ${ctx.now()}`;
          try {
            const reply = await ctx.llm.chat([
              { role: "system", content: prompt },
              { role: "user", content: question },
            ]);
            return reply.content;
          } catch (error) {
            // What the agent makes of the failure depends on the error's tag and data.
            if (!isTroupeError(error)) throw error;
            throw new TroupeError(error._tag, `${error.reason} (model ${String(error.data.model)})`);
          }
        },
      });
    const down = new TroupeError("ModelUnavailable", "the connection to the model broke", {
      data: { model: "scripted" },
    });
    const inspector = createInspector({ redact: redactTraceValue });
    const recorder = recordTaskIo(inspector);
    // The third task's model call never ends before the team stops.
    const model = new ScriptedModel([{ error: down }, { error: down }, { hang: true }]);
    const team = createSupervisor({
      agents: [asker("Be brief.")],
      fallback: "asker",
      inspect: inspector.inspect,
      llm: () => model,
      io: recorder.io,
    });
    inspector.attach(team.bus);
    try {
      // A transient failure, delivered again with the same id as a durable queue retries it.
      for (let delivery = 1; delivery <= 2; delivery += 1)
        await expect(team.submit({ id: "t-retried", text: "hello" }).result).rejects.toMatchObject({
          _tag: "ModelUnavailable",
        });
      const interrupted = team.submit({ id: "t-interrupted", text: "hello" });
      await expect.poll(() => model.calls.length).toBe(3);
      team.stop();
      await expect(interrupted.result).rejects.toMatchObject({ _tag: "ShuttingDown" });
    } finally {
      team.stop();
    }
    const records = [...inspector.records()];
    const io = (taskId: string) =>
      records.flatMap((record) =>
        record.kind === "io" && record.taskId === taskId ? [`${record.port} ${record.call}`] : [],
      );
    // Each delivery is a run of its own, numbering its calls from 1, with its outcome.
    expect(io("t-retried")).toEqual([
      ...["task 1", "clock 1", "llm 1", "outcome 1"],
      ...["task 1", "clock 1", "llm 1", "outcome 1"],
    ]);
    // Its model call ended as the team stopped; the run has no outcome.
    expect(io("t-interrupted")).toEqual(["task 1", "clock 1", "llm 1"]);
    const outcome = records.findLast((record) => record.kind === "io" && record.port === "outcome");
    expect(outcome).toMatchObject({
      reply: {
        status: "failed",
        error: { tag: "ModelUnavailable", reason: "the connection to the model broke (model scripted)" },
      },
    });

    // The recorded error is given back: the task fails as it did, with the same tag, reason and data.
    await expect(
      replayTasks(records, { team: { agents: [asker("Be brief.")], fallback: "asker" } }),
    ).resolves.toEqual({ identical: true, tasks: 1 });
    await expect(
      replayTasks(records, {
        team: { agents: [asker("Be brief.")], fallback: "asker" },
        taskId: "t-retried",
      }),
    ).resolves.toEqual({ identical: true, tasks: 1 });
    // A changed prompt diverges at the last delivery's model call.
    const lastLlm = records.findLast(
      (record) => record.kind === "io" && record.port === "llm" && record.taskId === "t-retried",
    )!;
    const changed = await replayTasks(records, {
      team: { agents: [asker("Be long-winded.")], fallback: "asker" },
    });
    expect(changed).toMatchObject({
      identical: false,
      divergence: { taskId: "t-retried", actor: "asker", what: "llm", seq: 1, traceSeq: lastLlm.seq },
    });
  });

  it("replays tasks recorded at once, their records interleaved on the same agents, each against its own", async () => {
    const texts = ["a poem", "a song", "a limerick", "an ode", "a haiku"];
    const records = await record([lead, writer("Be brief.")], ...texts);
    const started = records.flatMap((r) =>
      r.kind === "runtime" && r.event.type === "task.started" ? [r] : [],
    );
    const startedAt = (n: number) => records.indexOf(started[n]!);
    const endedAt = (n: number) =>
      records.findIndex(
        (r) =>
          r.kind === "runtime" &&
          r.event.type === "task.succeeded" &&
          (r.event as { taskId?: string }).taskId === (started[n]!.event as { taskId?: string }).taskId,
      );
    expect(startedAt(1)).toBeLessThan(endedAt(0)); // the runs overlap in the trace
    const replay = (writerAgent: AnyAgentDefinition) =>
      replayTasks(records, {
        team: { agents: [lead, writerAgent], fallback: "lead", routes },
        redact: redactTraceValue,
      });
    await expect(replay(writer("Be brief."))).resolves.toEqual({ identical: true, tasks: texts.length });

    // An agent that now answers otherwise for one text diverges at that task's outcome, and only there.
    const changed = defineAgent({
      ...writer("Be brief."),
      async handle(task, ctx) {
        const { text } = (await writer("Be brief.").handle!(task, ctx)) as { text: string };
        return { text: task.text.includes("limerick") ? `${text}!` : text };
      },
    });
    const limerick = records.find(
      (r): r is TraceRecordOf<"io"> =>
        r.kind === "io" && r.port === "task" && JSON.stringify(r.request).includes('"text":"a limerick"'),
    );
    const result = await replay(changed);
    expect(result).toMatchObject({
      identical: false,
      tasks: 3,
      divergence: {
        taskId: limerick?.taskId,
        actor: "lead",
        what: "outcome",
        got: { status: "succeeded", output: { text: "OTTERS HOLD HANDS.!" } },
      },
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
