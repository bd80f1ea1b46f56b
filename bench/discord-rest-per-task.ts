// discord-rest-per-task: what Troupe costs Discord. The Discord surface, bridge, a team and a work
// queue run in-process against the Discord stand-in (driven by the real discord.js). Two figures:
// the REST calls of one task's status reactions with coalescing (goal ≤ 4; the raw baseline is one
// remove and one add per state change the task went through), and the 429s earned while 100 tasks
// run at once against the stand-in's published limits (goal 0).
import {
  createSupervisor,
  defineAgent,
  type RuntimeEvent,
  startSurfaceBridge,
  startWorker,
  taskStateOf,
} from "@troupe/runtime";
import { createDiscordSurface } from "@troupe/runtime/discord";
import { MemoryWorkQueue } from "@troupe/runtime/testing";
import { type StandInEvent, startDiscordStandIn } from "../test/harness/discordStandIn.ts";
import { type Figure, median, progress } from "./measure.ts";

/** A Figure whose value is a count in `unit`, not a ratio. */
export interface CountFigure extends Figure {
  readonly unit: "calls" | "429s";
}

const echo = defineAgent({ name: "echo", handle: (task) => ({ text: task.text }) });

const setUp = async (channels: readonly string[], rateLimit: { limit: number; windowMs: number }) => {
  const standIn = await startDiscordStandIn({ channels, rateLimit });
  const surface = createDiscordSurface({ token: standIn.token, apiUrl: standIn.apiUrl });
  await surface.connect(AbortSignal.timeout(10_000));
  const team = createSupervisor({ agents: [echo], fallback: "echo", mailbox: { limit: 1_000 } });
  const queue = new MemoryWorkQueue();
  const worker = startWorker({ team, queue, consumer: "bench", pollWait: "20ms", concurrency: 100 });
  const bridge = startSurfaceBridge({
    surface,
    bus: team.bus,
    queue,
    channels: new Map(channels.map((channel) => [channel, "echo"])),
    agents: () => ["echo"],
    userRate: { tasks: 1_000, perMs: 1_000 },
  });
  const states = new Map<string, number>();
  team.bus.subscribe((event: RuntimeEvent) => {
    if ("taskId" in event && taskStateOf(event) !== undefined)
      states.set(event.taskId, (states.get(event.taskId) ?? 0) + 1);
  });
  const done = (messageId: string) =>
    standIn.waitFor(
      (event: StandInEvent) =>
        event.kind === "reaction" && event.messageId === messageId && event.emoji === "✅",
      `✅ on ${messageId}`,
      60_000,
    );
  const close = async () => {
    await bridge.stop(AbortSignal.timeout(10_000));
    await worker.stop();
    team.stop();
    await surface.close();
    await standIn.close();
  };
  return { standIn, bridge, states, done, close };
};

export const discordRestPerTask = async (): Promise<CountFigure> => {
  const { standIn, bridge, states, done, close } = await setUp(["general"], { limit: 50, windowMs: 1_000 });
  const perTask: number[] = [];
  const allRest: number[] = [];
  const baseline: number[] = [];
  try {
    for (let i = 0; i < 30; i += 1) {
      const before = standIn.restCalls().length;
      const asked = standIn.say("general", `task ${i}`);
      await done(asked.id);
      await bridge.idle();
      const calls = standIn.restCalls().slice(before);
      perTask.push(calls.filter((call) => call.path.includes(`/messages/${asked.id}/reactions/`)).length);
      allRest.push(calls.length);
    }
    // Uncoalesced: every state change of a task is one remove and one add (the first only an add).
    for (const count of states.values()) baseline.push(2 * count - 1);
  } finally {
    await close();
  }
  const calls = median(perTask);
  progress(
    `reaction calls per task ${calls} (uncoalesced ${median(baseline)}); all REST per task ${median(allRest)} (thread, reactions, reply; the first task also finds and creates its webhook)`,
  );
  return { name: "discord-rest-per-task", ratio: calls, unit: "calls", goal: "≤ 4", met: calls <= 4 };
};

export const discord429sAt100Tasks = async (): Promise<CountFigure> => {
  const channels = ["alpha", "beta", "gamma", "delta"];
  // Published limits as Discord's per-route buckets would be: 20 requests a second per channel.
  const { standIn, done, close } = await setUp(channels, { limit: 5, windowMs: 250 });
  let unforced: number;
  try {
    const startedAt = performance.now();
    const asked = Array.from({ length: 100 }, (_, i) =>
      standIn.say(channels[i % channels.length]!, `task ${i}`),
    );
    await Promise.all(asked.map((message) => done(message.id)));
    unforced = standIn.stats.unforced429;
    progress(
      `100 tasks at once over ${channels.length} channels in ${((performance.now() - startedAt) / 1_000).toFixed(1)} s, ${standIn.restCalls().length} REST calls, ${unforced} 429s`,
    );
  } finally {
    await close();
  }
  return { name: "discord-429s-100-tasks", ratio: unforced, unit: "429s", goal: "≤ 0", met: unforced === 0 };
};
