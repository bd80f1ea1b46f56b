// The slash commands on a fake command surface, a real team, the in-memory work queue and a worker:
// each command's answer as the person who ran it would see it — deferred then answered, or refused at
// once and ephemeral with what to do instead.
import { afterEach, describe, expect, it } from "vitest";
import { defineAgent } from "../agent/defineAgent.ts";
import { startWorker, type Worker } from "../durable/DurableWorker.ts";
import { TroupeError } from "../errors/TroupeError.ts";
import { createSupervisor, type Team } from "../supervisor/Team.ts";
import { MemoryWorkQueue } from "../testing/MemoryWorkQueue.ts";
import { type RecordedCommand, recordingSurface } from "../testing/RecordingSurface.ts";
import { EMBED_LIMITS, embedLength } from "./fitEmbeds.ts";
import { handleSurfaceCommands, SURFACE_COMMANDS, type SurfaceCommands } from "./SurfaceCommands.ts";
import type { ScheduledRun, SurfaceSchedule, SurfaceSchedules } from "./SurfaceSchedules.ts";

/** A recording surface where the test runs commands as u1 in #general and reads their answers. */
const commandSurface = () => {
  const recording = recordingSurface();
  /** The `count`th answer of a command, once it came. */
  const answer = async (ran: RecordedCommand, count = 1) => {
    await recording.until(() => ran.replies.length >= count);
    return ran.replies[count - 1]!;
  };
  return { ...recording, run: recording.command, answer };
};

/** Scheduled tasks in memory; `fire` runs one now, as the scheduler would at its time. */
const memorySchedules = (queue: MemoryWorkQueue) => {
  const jobs = new Map<string, SurfaceSchedule & { channelId: string }>();
  const listeners = new Set<(run: ScheduledRun) => void>();
  const schedules: SurfaceSchedules = {
    async add(request) {
      if (!request.when.startsWith("every "))
        throw new TroupeError("InvalidCommand", `cannot read when to run from "${request.when}"`);
      const id = `job-${jobs.size + 1}`;
      const job = {
        id,
        schedule: request.when,
        text: request.text,
        ...(request.agent ? { agent: request.agent } : {}),
        nextRunAt: 0,
        runs: 0,
        channelId: request.channelId,
      };
      jobs.set(id, job);
      return job;
    },
    list: () => [...jobs.values()],
    cancel: async (id) => jobs.delete(id),
    onRun(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const fire = async (id: string) => {
    const job = jobs.get(id)!;
    const taskId = `t-run${job.runs}`;
    await queue.enqueue({
      id: taskId,
      input: { id: taskId, text: job.text, ...(job.agent ? { agent: job.agent } : {}) },
    });
    for (const listener of listeners)
      listener({
        taskId,
        scheduleId: id,
        ...(job.agent ? { agent: job.agent } : {}),
        channelId: job.channelId,
      });
  };
  return { schedules, fire };
};

let ready = false;
const say = defineAgent({ name: "say", handle: (task) => ({ text: `said: ${task.text}` }) });
const shout = defineAgent({ name: "shout", handle: (task) => ({ text: task.text.toUpperCase() }) });
const broken = defineAgent({
  name: "broken",
  handle: () => {
    throw new TroupeError("InvalidTask", "broken is broken");
  },
});
/** Fails for good until `ready`: a dead letter that a retry can bring back. */
const flaky = defineAgent({
  name: "flaky",
  handle: () => {
    if (!ready) throw new TroupeError("InvalidTask", "flaky is not ready");
    return { text: "flaky is fine now" };
  },
});
/** Works until cancelled. */
const hold = defineAgent({
  name: "hold",
  handle: (_task, ctx) =>
    new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))),
});

let team: Team | undefined;
let worker: Worker | undefined;
let commands: SurfaceCommands | undefined;
afterEach(async () => {
  await commands?.stop(AbortSignal.timeout(2_000));
  await worker?.stop();
  team?.stop();
  ready = false;
});

const start = (
  extra: readonly ReturnType<typeof defineAgent>[] = [],
  settings: {
    readonly answerWithinMs?: number;
    readonly replayCommand?: (taskId: string) => string | undefined;
  } = {},
) => {
  const fake = commandSurface();
  team = createSupervisor({ agents: [say, shout, broken, flaky, hold, ...extra], fallback: "say" });
  const queue = new MemoryWorkQueue();
  const scheduled = memorySchedules(queue);
  worker = startWorker({ team, queue, consumer: "test", pollWait: "20ms" });
  commands = handleSurfaceCommands({
    surface: fake.surface,
    team,
    queue,
    bus: team.bus,
    schedules: scheduled.schedules,
    ...settings,
  });
  return { ...fake, queue, team, fire: scheduled.fire };
};

describe("handleSurfaceCommands", () => {
  it("/ask defers and answers with the agent's reply; an unknown agent is refused at once, ephemeral", async () => {
    const fake = start();
    const asked = fake.run("ask", { agent: "say", text: "hello" });
    expect(await fake.answer(asked)).toEqual({
      content: "said: hello",
      ephemeral: false,
      embeds: [],
      files: [],
    });
    expect(asked.deferred()).toBe(true);
    const bad = fake.run("ask", { agent: "nobody", text: "hello" });
    const refused = await fake.answer(bad);
    expect(refused.ephemeral).toBe(true);
    expect(refused.content).toBe(
      'Unknown agent "nobody": the agents are say, shout, broken, flaky, hold (see /agents).',
    );
    expect(bad.deferred()).toBe(false);
  });

  it("/ask still running when its answer expires says so, then posts the outcome (and its replay command) in the channel", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gate = defineAgent({
      name: "gate",
      handle: async (task) => {
        await released;
        return { text: `through: ${task.text}` };
      },
    });
    const fake = start([gate], {
      answerWithinMs: 20,
      replayCommand: (taskId) => `troupe replay t.jsonl --task ${taskId}`,
    });
    const asked = fake.run("ask", { agent: "gate", text: "slowly" });
    const [, taskId] =
      /^⚙️ working: task (t-\w+) is still running; its answer will be posted in this channel/.exec(
        (await fake.answer(asked)).content,
      )!;
    release();
    await fake.until(() => fake.posts.length === 1);
    expect(fake.posts[0]).toMatchObject({
      channelId: "c1",
      post: {
        content: `Task ${taskId}:\nthrough: slowly`,
        embeds: [{ footer: { text: `replay offline: troupe replay t.jsonl --task ${taskId}` } }],
      },
    });
  });

  it("/fanout answers with each branch and the joined verdict", async () => {
    const fake = start();
    const all = fake.run("fanout", { agents: "say, shout", text: "hi" });
    expect((await fake.answer(all)).content).toBe(
      "**say** ✅\nsaid: hi\n\n**shout** ✅\nHI\n\n✅ done · join all: 2 of 2 succeeded",
    );
    const quorum = fake.run("fanout", { agents: "say,broken", text: "hi", join: "quorum:2" });
    expect((await fake.answer(quorum)).content).toBe(
      "**say** ✅\nsaid: hi\n\n**broken** ❌\nbroken is broken\n\n❌ failed · join quorum(2): 1 of 2 succeeded",
    );
    const any = fake.run("fanout", { agents: "broken say", text: "hi", join: "any" });
    expect((await fake.answer(any)).content).toMatch(/✅ done · join any: 1 of 2 succeeded$/);
  });

  it("/fanout refuses unknown agents, a bad join and an impossible quorum, ephemeral", async () => {
    const fake = start();
    const cases: [Record<string, string>, string][] = [
      [{ agents: "say,nobody", text: "hi" }, 'Unknown agent "nobody": the agents are say, shout'],
      [
        { agents: "say,shout", text: "hi", join: "most" },
        'Unknown join "most": use all, any, first or quorum:<n>',
      ],
      [
        { agents: "say,shout", text: "hi", join: "quorum:3" },
        "A quorum of 3 cannot be met by 2 agents: use quorum:1 to quorum:2.",
      ],
      [{ agents: "", text: "hi" }, "/fanout needs agents"],
      [{ agents: "say", text: " " }, "/fanout needs some text"],
    ];
    for (const [options, expected] of cases) {
      const refused = await fake.answer(fake.run("fanout", options));
      expect(refused.ephemeral).toBe(true);
      expect(refused.content).toContain(expected);
    }
  });

  it("/status answers with one embed field per agent, and a 40-agent team fits Discord's limits", async () => {
    const many = Array.from({ length: 35 }, (_, index) =>
      defineAgent({ name: `agent-with-a-long-name-${index}`, handle: () => ({ text: "" }) }),
    );
    const fake = start(many);
    const status = fake.run("status");
    const answered = await fake.answer(status);
    expect(status.deferred()).toBe(true);
    expect(answered.content).toMatch(
      /^Team: accepting tasks, 0 queued, 0 in flight, 0 fan-outs\.\nWork queue: /,
    );
    const fields = answered.embeds.flatMap((embed) => embed.fields ?? []);
    expect(fields.map((field) => field.name)).toEqual(fake.team.status().agents.map((agent) => agent.name));
    expect(fields).toHaveLength(40);
    expect(fields[0]!.value).toBe("idle · breaker closed · queue 0");
    expect(answered.embeds.length).toBeLessThanOrEqual(EMBED_LIMITS.embeds);
    for (const embed of answered.embeds)
      expect(embed.fields!.length).toBeLessThanOrEqual(EMBED_LIMITS.fields);
    expect(answered.embeds.reduce((sum, embed) => sum + embedLength(embed), 0)).toBeLessThanOrEqual(
      EMBED_LIMITS.total,
    );
  });

  it("/agents lists the agents", async () => {
    const fake = start();
    const answered = await fake.answer(fake.run("agents"));
    for (const name of ["say", "shout", "broken", "flaky", "hold"]) expect(answered.content).toContain(name);
  });

  it("/cancel cancels a running task, whose /ask answer then says so; an unknown id is refused", async () => {
    const fake = start();
    const started = fake.team.bus.waitFor((event) => event.type === "task.started" && event.agent === "hold");
    const asked = fake.run("ask", { agent: "hold", text: "wait" });
    const { taskId } = (await started) as { taskId: string };
    const cancelled = fake.run("cancel", { task: taskId });
    expect((await fake.answer(cancelled)).content).toBe(`🚫 cancelled task ${taskId}`);
    expect((await fake.answer(asked)).content).toMatch(new RegExp(`^🚫 cancelled \\(task ${taskId}\\)`));
    const unknown = await fake.answer(fake.run("cancel", { task: "t-nothing" }));
    expect(unknown).toMatchObject({ ephemeral: true });
    expect(unknown.content).toBe('no task has the id "t-nothing"; /status shows the running ones');
  });

  it("/retry queues a dead letter again as a new task; an unknown id points at /status", async () => {
    const fake = start();
    const asked = fake.run("ask", { agent: "flaky", text: "go" });
    const failed = await fake.answer(asked);
    const deadId = /\(task (t-\w+)\)/.exec(failed.content)![1]!;
    expect(failed.content).toBe(`❌ failed (task ${deadId}): flaky is not ready`);
    ready = true;
    const retried = fake.run("retry", { task: deadId });
    const answered = await fake.answer(retried);
    expect(answered.content).toMatch(
      new RegExp(`^🔁 retrying dead letter ${deadId} as task t-\\w+:\\nflaky is fine now$`),
    );
    const unknown = await fake.answer(fake.run("retry", { task: "t-nothing" }));
    expect(unknown).toMatchObject({
      ephemeral: true,
      content: 'No dead letter has the id "t-nothing"; /status lists the latest dead letters.',
    });
  });

  it("/schedule adds, lists and cancels; a run is answered in the channel it was scheduled from", async () => {
    const fake = start();
    const added = await fake.answer(
      fake.run("schedule", { when: "every 1h", text: "hello", agent: "shout" }),
    );
    expect(added.content).toBe(
      `⏰ Scheduled job-1 (every 1h), next run ${new Date(0).toISOString()}: @shout hello\n` +
        "Each run is answered here; /schedule action:cancel id:job-1 cancels it.",
    );
    const listed = await fake.answer(fake.run("schedule", { action: "list" }));
    expect(listed.content).toContain("1 scheduled task:\n- `job-1` every 1h");
    await fake.fire("job-1");
    await fake.until(() => fake.posts.length === 1);
    expect(fake.posts[0]).toMatchObject({
      channelId: "c1",
      post: { content: "⏰ job-1 ran as task t-run0:\nHELLO" },
    });
    const cancelled = await fake.answer(fake.run("schedule", { action: "cancel", id: "job-1" }));
    expect(cancelled.content).toBe("🚫 cancelled the scheduled task job-1");
    expect((await fake.answer(fake.run("schedule"))).content).toMatch(/^No scheduled tasks\./);
  });

  it("/schedule refuses what it cannot do, ephemeral, saying what to write", async () => {
    const fake = start();
    const cases: [Record<string, string>, string][] = [
      [{ when: "sometime", text: "x" }, 'cannot read when to run from "sometime"'],
      [{ when: "every 1h" }, "/schedule needs `when`"],
      [{ when: "every 1h", text: "x", agent: "nobody" }, 'Unknown agent "nobody"'],
      [{ action: "cancel" }, "needs the id of a scheduled task"],
      [{ action: "cancel", id: "job-9" }, 'No scheduled task has the id "job-9"'],
      [{ action: "pause" }, 'Unknown action "pause": use add, list or cancel.'],
    ];
    for (const [options, expected] of cases) {
      const refused = await fake.answer(fake.run("schedule", options));
      expect(refused.ephemeral).toBe(true);
      expect(refused.content).toContain(expected);
    }
  });

  it("answers an unknown command at once, ephemeral, listing every command", async () => {
    const fake = start();
    const refused = await fake.answer(fake.run("dance"));
    expect(refused).toEqual({
      content: `Unknown command /dance: the commands are ${SURFACE_COMMANDS.map((command) => `/${command.name}`).join(", ")}.`,
      ephemeral: true,
      embeds: [],
      files: [],
    });
    expect(refused.content).toContain("/ask, /fanout, /status, /agents, /cancel, /retry, /schedule");
  });
});
