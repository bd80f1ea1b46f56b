// A burst of 200 state changes of one task, through the bridge and the real discord.js on the
// stand-in: the reaction changes are coalesced, so it costs a handful of REST calls instead of 400,
// and the message ends with exactly the last state.
import { EventBus, type SurfaceBridge, startSurfaceBridge } from "@troupe/runtime";
import { createDiscordSurface, type DiscordSurface } from "@troupe/runtime/discord";
import { MemoryWorkQueue } from "@troupe/runtime/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DiscordStandIn, startDiscordStandIn } from "../harness/discordStandIn.ts";

let standIn: DiscordStandIn;
let surface: DiscordSurface;
let bridge: SurfaceBridge;
const bus = new EventBus();
const queue = new MemoryWorkQueue();

beforeEach(async () => {
  standIn = await startDiscordStandIn({ channels: ["general"] });
  surface = createDiscordSurface({ token: standIn.token, apiUrl: standIn.apiUrl });
  await surface.connect(AbortSignal.timeout(10_000));
  bridge = startSurfaceBridge({
    surface,
    bus,
    queue,
    channels: new Map([["general", "echo"]]),
    agents: () => ["echo"],
  });
});

afterEach(async () => {
  await bridge.stop(AbortSignal.timeout(5_000));
  await surface.close();
  await standIn.close();
});

describe("a burst of state changes on Discord", () => {
  it("costs far fewer REST calls than changes", async () => {
    const asked = standIn.say("general", "hello");
    await standIn.waitFor(
      (event) => event.kind === "reaction" && event.messageId === asked.id,
      "the 📥 reaction",
    );
    const [lease] = await queue.lease("test", { max: 1, waitMs: 0 });
    const taskId = lease!.taskId;
    for (let i = 0; i < 200; i += 1) {
      if (i % 4 === 0) bus.publish({ type: "task.claimed", taskId, agent: "echo", attempt: 1 });
      else if (i % 4 === 1) bus.publish({ type: "task.started", taskId, agent: "echo", attempt: 1 });
      else if (i % 4 === 2)
        bus.publish({ type: "task.retrying", taskId, agent: "echo", attempt: 2, reason: "flaky" });
      else bus.publish({ type: "task.awaiting_human", taskId, agent: "echo", question: "?" });
    }
    await queue.finish(lease!, { status: "succeeded", output: { text: "done" } });
    bus.publish({ type: "task.recorded", taskId, status: "succeeded" });
    await bridge.idle();
    await standIn.waitFor(() => [...standIn.messages.get(asked.id)!.reactions].join() === "✅", "✅ alone");
    const reactionCalls = standIn.restCalls(/\/reactions\//).filter((call) => call.path.includes(asked.id));
    expect(reactionCalls.length).toBeLessThanOrEqual(6);
    // Each 🔁 waits for its post and is dropped once a later state came: 150 states asked for, and
    // all but the few applied skipped.
    const { requested, skipped } = bridge.stats().reactions;
    expect(requested).toBeGreaterThanOrEqual(150);
    expect(skipped).toBeGreaterThanOrEqual(requested - 6);
    expect(standIn.stats.unforced429).toBe(0);
  });
});
