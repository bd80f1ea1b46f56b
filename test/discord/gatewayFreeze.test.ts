// Two `troupe start` hosts on a private Redis and one Discord (the stand-in), the gateway holder frozen
// until its gateway lease runs out and the other host has taken the gateway over, then resumed — what
// it still had queued runs before its own lease timers have run:
// - frozen with SIGSTOP, its reply to a task, held up in discord.js by a rate limit, goes out first
//   after SIGCONT: only a check against Redis right before the request keeps it from answering twice.
//   The thread must end with exactly one reply, and the resumed host says once (without the webhook's
//   token) that it dropped what it would send;
// - its event loop stalled (the `stall` test agent: after SIGCONT the order of a host's first
//   callbacks is left to chance, after a stall its sockets are read before its overdue timers run), a
//   message written meanwhile (before the other host connected, so only the stalled host's gateway
//   connection delivers it) reaches it first: a check against Redis before it takes the message leaves
//   it to the other host's catch-up, whose read of the channel is held until then. Without that check
//   the resumed host takes it, the other host's catch-up passes over it as taken, and nobody answers.
//   The message must get exactly one reply.
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { longReply } from "../../apps/host/src/testing/longReplyAgent.ts";
import { spawnTroupe } from "../../apps/host/src/testing/spawnTroupe.ts";
import { startDiscordStandIn } from "../harness/discordStandIn.ts";
import { startPrivateRedis } from "../harness/privateRedis.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A `troupe start` host named `consumer` on the work queue, killed after the test. */
const startHost = (consumer: string, env: Record<string, string>) => {
  const troupe = spawnTroupe(["start"], { ...env, TROUPE_CONSUMER: consumer });
  cleanups.push(async () => {
    troupe.child.kill("SIGKILL");
    await troupe.exited;
  });
  return troupe;
};

const DROPPED = "discord: this host no longer holds the gateway; dropping what it would still send";
const LEFT = "discord: this host no longer holds the gateway; leaving what came in to the host that does";
const STANDING_BY = "discord gateway: standing by until this host holds the gateway lease";
/** A reply's webhook post (`POST /webhooks/{id}/{token}`), not a webhook's creation. */
const REPLY_POST = /\/webhooks\/\d+\/[^/]+$/;

describe("a gateway holder frozen while another host takes the gateway over", { timeout: 90_000 }, () => {
  it("drops the reply when it resumes after another host took the gateway and answered", async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const standIn = await startDiscordStandIn({ channels: ["gated"] });
    cleanups.push(() => standIn.close());
    const gates = mkdtempSync(join(tmpdir(), "troupe-freeze-gates-"));
    cleanups.push(async () => rmSync(gates, { recursive: true, force: true }));
    const start = (consumer: string) =>
      startHost(consumer, {
        ...standIn.hostEnv(),
        DISCORD_CHANNELS: "gated=gate",
        TROUPE_TEST_AGENTS: "gate",
        TROUPE_LEASE: "3s",
        REDIS_URL: redis.url,
        TROUPE_NAMESPACE: "freeze",
        // Renewed every 2 s: the 2 s rate-limit wait below ends before a's lease would, so a's
        // queued reply is the first thing it does once resumed.
        TROUPE_GATEWAY_LEASE: "6s",
      });
    const a = start("host-a");
    await a.log("discord surface started");
    const b = start("host-b");
    await b.log(STANDING_BY);

    const gate = join(gates, "open");
    const asked = standIn.say("gated", gate);
    await standIn.reactionAdded(asked.id, "⚙️");
    // a's reply is answered 429 once: discord.js waits 2 s and sends it again.
    standIn.rateLimitNext({ method: "POST", path: REPLY_POST }, 2_000);
    writeFileSync(`${gate}.tmp`, "the gate opened");
    renameSync(`${gate}.tmp`, gate);
    await standIn.waitFor(
      (event) => event.kind === "rest" && event.status === 429 && REPLY_POST.test(event.path),
      "a's reply held up by the rate limit",
    );
    a.child.kill("SIGSTOP");

    await b.log("discord surface started", { from: 0 });
    const replies = () =>
      [...standIn.messages.values()].filter(
        (message) => message.channelId === asked.id && message.content === "the gate opened",
      );
    await standIn.waitFor(() => replies().length > 0, "b's reply in the task's thread", 30_000);
    await standIn.reactionAdded(asked.id, "✅");

    const resumedAt = a.logs.length;
    a.child.kill("SIGCONT");
    // a either drops its queued reply (and says so) or posts it a second time.
    await Promise.race([
      a.log(DROPPED, { from: resumedAt }),
      standIn.waitFor(() => replies().length > 1, "a second reply", 20_000),
    ]);
    expect(replies()).toHaveLength(1);
    await a.log(STANDING_BY, { from: resumedAt });
    const dropped = a.logs.filter((record) => record.msg === DROPPED);
    expect(dropped).toMatchObject([
      { level: "warn", method: "POST", path: expect.stringMatching(/:token$/) },
    ]);
    for (const hook of standIn.webhooks.values()) expect(JSON.stringify(a.logs)).not.toContain(hook.token);
    expect([...standIn.messages.get(asked.id)!.reactions]).toEqual(["✅"]);
  });

  it("leaves a message that reached it while stalled to the host that took the gateway: one reply", async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const standIn = await startDiscordStandIn({ channels: ["long", "stall"] });
    cleanups.push(() => standIn.close());
    const gates = mkdtempSync(join(tmpdir(), "troupe-stall-gates-"));
    cleanups.push(async () => rmSync(gates, { recursive: true, force: true }));
    const start = (consumer: string) =>
      startHost(consumer, {
        ...standIn.hostEnv(),
        DISCORD_CHANNELS: "long=long,stall=stall",
        TROUPE_TEST_AGENTS: "long,stall",
        // The stalled task's work-queue lease outlasts the stall: b never takes it over (and stalls).
        TROUPE_LEASE: "60s",
        REDIS_URL: redis.url,
        TROUPE_NAMESPACE: "freeze-inbound",
        TROUPE_GATEWAY_LEASE: "6s",
      });
    const a = start("host-a");
    await a.log("discord surface started");
    const replies = (to: string) =>
      [...standIn.messages.values()].filter((message) => message.channelId === to && message.webhookId);

    // a, the holder, runs the stall: its event loop stops, its gateway lease runs out.
    const gate = join(gates, "open");
    standIn.say("stall", gate);
    await vi.waitFor(() => expect(existsSync(`${gate}.stalled`)).toBe(true), { timeout: 15_000 });
    // Only a's gateway connection is there to deliver this: b connects once a's lease has run out.
    const asked = standIn.say("long", "7");
    // b's catch-up read of #long waits until a has seen the message.
    const catchUpRead = standIn.holdNext({
      method: "GET",
      path: new RegExp(`/channels/${standIn.channelId("long")}/messages$`),
    });
    const b = start("host-b");
    await standIn.waitFor((event) => event.kind === "held", "b's catch-up reading #long", 30_000);

    const resumedAt = a.logs.length;
    writeFileSync(gate, "");
    // a either leaves the message to b (and says so) or takes it.
    await Promise.race([
      a.log(LEFT, { from: resumedAt }),
      a.log("surface: task from a message", { from: resumedAt }),
    ]);
    catchUpRead.release();
    const caughtUp = await b.log("surface: caught up on missed messages");
    expect(caughtUp).toMatchObject({ tasks: 1 });

    const thread = await standIn.threadOn(asked.id);
    await standIn.reactionAdded(asked.id, "✅");
    await standIn.waitFor(() => replies(thread.id).length > 0, "the reply in the message's thread");
    expect(replies(thread.id).map((reply) => reply.content)).toEqual([longReply(7)]);
    await a.log(STANDING_BY, { from: resumedAt });
    expect(a.logs.filter((record) => record.msg === LEFT)).toMatchObject([{ messageId: asked.id }]);
    expect([...standIn.messages.get(asked.id)!.reactions]).toEqual(["✅"]);
  });
});
