// Two `troupe start` hosts on one Redis and one Discord (the stand-in): only the holder of the gateway
// lease connects (one IDENTIFY), the other stands by and still runs tasks from the shared queue; a
// message is handled once. When the holder is SIGKILLed the standby takes the gateway over after the
// lease's ttl and handles the next message; a holder whose lease was taken disconnects at once and
// connects again when it gets the lease back; a standby stops without touching the lease; a holder
// that stops cleanly hands the lease over at once (well before a long ttl).
import { randomUUID } from "node:crypto";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deleteNamespace } from "@troupe/runtime/redis";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { longReply } from "../../apps/host/src/testing/longReplyAgent.ts";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type DiscordStandIn, type StandInEvent, startDiscordStandIn } from "../harness/discordStandIn.ts";

const REDIS_URL = "redis://127.0.0.1:6379";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A stand-in and a fresh namespace on the shared Redis, both gone after the test. */
const setUp = async () => {
  const standIn = await startDiscordStandIn({ channels: ["general", "long", "gated"] });
  const namespace = `lease-test-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(REDIS_URL);
  cleanups.push(async () => {
    await standIn.close();
    await deleteNamespace(redis, namespace);
    await redis.quit();
  });
  const start = (consumer: string, gatewayLease: string) => {
    const troupe = spawnTroupe(["start"], {
      ...standIn.hostEnv(),
      DISCORD_CHANNELS: "long=long,gated=gate,general",
      TROUPE_TEST_AGENTS: "long,gate",
      // Short work-queue leases: a task the killed host was running is taken over soon.
      TROUPE_LEASE: "3s",
      REDIS_URL,
      TROUPE_NAMESPACE: namespace,
      TROUPE_CONSUMER: consumer,
      TROUPE_GATEWAY_LEASE: gatewayLease,
    });
    cleanups.push(async () => {
      troupe.child.kill("SIGKILL");
      await troupe.exited;
    });
    return troupe;
  };
  return { standIn, redis, key: `troupe:${namespace}:discord:gateway`, start };
};

const identifies = (standIn: DiscordStandIn) =>
  standIn.events.filter(
    (event): event is Extract<StandInEvent, { kind: "gateway" }> =>
      event.kind === "gateway" && event.op === "identify",
  );

/** Say `n` in #long and wait until the task is done and its reply posted; returns the thread's posts. */
const handled = async (standIn: DiscordStandIn, n: number) => {
  const asked = standIn.say("long", String(n));
  const thread = await standIn.threadOn(asked.id);
  await standIn.reactionAdded(asked.id, "✅");
  const posts = () => [...standIn.messages.values()].filter((message) => message.channelId === thread.id);
  await standIn.waitFor(() => posts().length > 0, `the reply in ${thread.id}`);
  return {
    posts: posts(),
    threadCalls: standIn
      .restCalls(/\/threads$/)
      .filter((call) => call.path.includes(`/messages/${asked.id}/`)),
  };
};

/** The host's troupe_discord_gateway_held, from its /metrics. */
const gatewayHeld = async (troupe: TroupeProcess) => {
  const { url } = (await troupe.log("http listening")) as { url: string };
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return Number(/^troupe_discord_gateway_held (\d+)$/m.exec(metrics)?.[1]);
};

const standingBy = (troupe: TroupeProcess) =>
  troupe.log("discord gateway: standing by until this host holds the gateway lease");

describe("several hosts on one Redis and one Discord", { timeout: 60_000 }, () => {
  it("lets only the lease holder connect, and the standby takes over when the holder is killed", async () => {
    const { standIn, redis, key, start } = await setUp();
    const a = start("host-a", "3s");
    await a.log("discord surface started");
    const b = start("host-b", "3s");
    expect((await standingBy(b)).holder).toMatch(/^host-a\//);
    await b.log("troupe started");

    const first = await handled(standIn, 5);
    expect(first.threadCalls.map((call) => call.status)).toEqual([201]);
    expect(first.posts.map((post) => post.content)).toEqual([longReply(5)]);
    expect(identifies(standIn)).toHaveLength(1);
    expect(b.logs.map((record) => record.msg)).not.toContain("discord surface started");
    expect(await redis.get(key)).toMatch(/^host-a\//);
    expect([await gatewayHeld(a), await gatewayHeld(b)]).toEqual([1, 0]);

    a.child.kill("SIGKILL");
    expect(await a.exited).toBe("SIGKILL");
    await b.log("discord surface started");
    const sessions = identifies(standIn).map((event) => event.session);
    expect(sessions).toHaveLength(2);
    expect(new Set(sessions).size).toBe(2);
    expect(await redis.get(key)).toMatch(/^host-b\//);
    expect(await gatewayHeld(b)).toBe(1);

    const second = await handled(standIn, 6);
    expect(second.threadCalls.map((call) => call.status)).toEqual([201]);
    expect(second.posts.map((post) => post.content)).toEqual([longReply(6)]);
  });

  it("posts, from the host that takes over, the outcome of a task the killed holder was following", async () => {
    const { standIn, start } = await setUp();
    const gates = mkdtempSync(join(tmpdir(), "troupe-lease-gates-"));
    cleanups.push(async () => rmSync(gates, { recursive: true, force: true }));
    const a = start("host-a", "3s");
    await a.log("discord surface started");
    const b = start("host-b", "3s");
    await standingBy(b);
    const gate = join(gates, "open");
    const asked = standIn.say("gated", gate);
    const onMessage = (emoji: string) => standIn.reactionAdded(asked.id, emoji);
    await onMessage("⚙️");

    a.child.kill("SIGKILL");
    await b.log("discord surface started");
    // Written whole, then moved into place: the gate never reads a half-written file.
    writeFileSync(`${gate}.tmp`, "opened after the takeover");
    renameSync(`${gate}.tmp`, gate);
    await onMessage("✅");
    const replies = () =>
      [...standIn.messages.values()].filter(
        (message) => message.channelId === asked.id && message.content === "opened after the takeover",
      );
    await standIn.waitFor(() => replies().length > 0, "the reply in the task's thread");
    expect(replies()).toHaveLength(1);
    expect([...standIn.messages.get(asked.id)!.reactions]).toEqual(["✅"]);
  });

  it("disconnects a holder whose lease was taken over at once, and reconnects when it gets the lease back", async () => {
    const { standIn, redis, key, start } = await setUp();
    const a = start("host-a", "3s");
    await a.log("discord surface started");
    const [first] = identifies(standIn);
    // Another host took the lease (as after a pause longer than the ttl): a's next renewal finds out.
    await redis.set(key, "host-x/intruder", "PX", 60_000);
    expect(
      await a.log("discord gateway: lost the gateway lease; disconnecting and standing by"),
    ).toMatchObject({
      reason: "taken",
    });
    await standIn.waitFor(
      (event) => event.kind === "gateway" && event.op === "closed" && event.session === first!.session,
      "a's gateway session closed",
    );
    const lostAt = a.logs.length;
    expect(
      (await a.log("discord gateway: standing by until this host holds the gateway lease", { from: lostAt }))
        .holder,
    ).toBe("host-x/intruder");
    expect(await redis.get(key)).toBe("host-x/intruder");

    await redis.del(key); // the other host let go
    await a.log("discord surface started", { from: lostAt });
    expect(identifies(standIn)).toHaveLength(2);
    const { posts } = await handled(standIn, 8);
    expect(posts.map((post) => post.content)).toEqual([longReply(8)]);
  });

  it("stops a standby on SIGTERM without touching the holder's lease", async () => {
    const { standIn, redis, key, start } = await setUp();
    const a = start("host-a", "60s");
    await a.log("discord surface started");
    const b = start("host-b", "60s");
    await standingBy(b);
    b.child.kill("SIGTERM");
    expect(await b.exited).toBe(0);
    // (b releases its own consumer name's lease; never the gateway's.)
    expect(b.logs.filter((record) => record.msg === "lease released" && record.key === key)).toEqual([]);
    expect(await redis.get(key)).toMatch(/^host-a\//);
    expect(identifies(standIn)).toHaveLength(1);
    expect(standIn.events.some((event) => event.kind === "gateway" && event.op === "closed")).toBe(false);
  });

  it("hands the gateway over at once when the holder stops cleanly", async () => {
    const { standIn, redis, key, start } = await setUp();
    // A one-minute lease: only a release lets the standby in within the wait's 15 s deadline.
    const a = start("host-a", "60s");
    await a.log("discord surface started");
    const b = start("host-b", "60s");
    await standingBy(b);
    a.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
    expect(a.logs.some((record) => record.msg === "lease released" && record.key === key)).toBe(true);
    await b.log("discord surface started");
    expect(identifies(standIn)).toHaveLength(2);
    expect(await redis.get(key)).toMatch(/^host-b\//);
    const { posts } = await handled(standIn, 7);
    expect(posts.map((post) => post.content)).toEqual([longReply(7)]);
  });
});
