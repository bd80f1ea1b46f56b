// The stand-in driven by the real discord.js through the Discord surface adapter: login and
// clientReady, messages in, threads, webhooks per identity (created once), files, own reactions,
// a forced 429 waited out, a request held until released, a dropped gateway resumed without losing or doubling a message, a lost
// session refused with op 9 and identified anew, a channel's missed messages read back page by page,
// and REST down failing calls transiently without giving up the agents' webhooks. After a restart:
// own and people's reactions (with roles) read back, a message's thread found again.

import { type InboundMessage, isTransientSurfaceError } from "@troupe/runtime";
import { createDiscordSurface, type DiscordSurface } from "@troupe/runtime/discord";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DiscordStandIn, startDiscordStandIn } from "./discordStandIn.ts";

let standIn: DiscordStandIn;
let surface: DiscordSurface;
const inbound: InboundMessage[] = [];
const waiters = new Set<() => void>();
const received = (count: number) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${inbound.length} messages arrived`)), 10_000);
    const check = () => {
      if (inbound.length < count) return;
      clearTimeout(timer);
      waiters.delete(check);
      resolve();
    };
    waiters.add(check);
    check();
  });

beforeEach(async () => {
  inbound.length = 0;
  standIn = await startDiscordStandIn({ channels: ["general", "research"], roles: ["deployers"] });
  surface = createDiscordSurface({ token: standIn.token, apiUrl: standIn.apiUrl, guildId: standIn.guildId });
  surface.onMessage((message) => {
    inbound.push(message);
    for (const wake of waiters) wake();
  });
  await surface.connect(AbortSignal.timeout(10_000));
});

afterEach(async () => {
  await surface.close();
  await standIn.close();
});

describe("the Discord stand-in with discord.js", () => {
  it("fails calls with a transient error while REST is down, and posts by the webhook once it is back", async () => {
    const channelId = standIn.channelId("research");
    standIn.restDown(true);
    const failed = await surface
      .post(channelId, { content: "while down", identity: { name: "research" } })
      .catch((error: unknown) => error);
    expect(isTransientSurfaceError(failed)).toBe(true);
    standIn.restDown(false);
    await surface.post(channelId, { content: "back", identity: { name: "research" } });
    const back = [...standIn.messages.values()].find((message) => message.content === "back");
    expect(back?.webhookId).toBeDefined();
  });

  it("delivers messages and takes threads, webhook posts, files and reactions", async () => {
    const asked = standIn.say("research", "why is the sky blue?");
    await received(1);
    expect(inbound[0]).toMatchObject({
      id: asked.id,
      channelName: "research",
      content: "why is the sky blue?",
      fromBot: false,
      threadId: undefined,
    });
    const ref = { channelId: asked.channelId, messageId: asked.id };
    const threadId = await surface.startThread(ref, "why is the sky blue?");
    expect(standIn.threads.get(threadId)).toMatchObject({
      parentId: asked.channelId,
      name: "why is the sky blue?",
    });

    await surface.react(ref, "📥");
    await surface.unreact(ref, "📥");
    await surface.react(ref, "⚙️");
    expect([...standIn.messages.get(asked.id)!.reactions]).toEqual(["⚙️"]);

    await surface.post(threadId, { content: "first", identity: { name: "research" } });
    await surface.post(threadId, {
      content: "second",
      identity: { name: "research" },
      files: [{ name: "reply.md", data: new TextEncoder().encode("# long") }],
    });
    await surface.post(threadId, { content: "from the bot" });
    const posted = [...standIn.messages.values()].filter((message) => message.channelId === threadId);
    expect(
      posted.map((message) => [message.content, message.author.username, Boolean(message.webhookId)]),
    ).toEqual([
      ["first", "research", true],
      ["second", "research", true],
      ["from the bot", "troupe", false],
    ]);
    expect(posted[1]!.files.map((file) => [file.name, file.data.toString()])).toEqual([
      ["reply.md", "# long"],
    ]);
    expect(posted[0]!.allowedMentions).toEqual({ parse: [], users: [], roles: [] });
    expect(standIn.webhooks.size).toBe(1); // created once, reused
    // Troupe's own webhook and bot messages come back through the gateway marked as bots.
    await received(4);
    expect(inbound.slice(1).map((message) => [message.fromBot, message.threadId])).toEqual([
      [true, threadId],
      [true, threadId],
      [true, threadId],
    ]);
  });

  it("gives a thread's recent messages oldest first, within a limit and before a message, and its pins", async () => {
    const asked = standIn.say("general", "plan the trip");
    await received(1);
    const threadId = await surface.startThread({ channelId: asked.channelId, messageId: asked.id }, "trip");
    await surface.post(threadId, { content: "day one: Kyoto", identity: { name: "planner" } });
    const second = standIn.say(threadId, "and day two?");
    const third = standIn.say(threadId, "keep it cheap");
    expect(await surface.history!(threadId, { limit: 2, before: third.id })).toEqual([
      { id: expect.any(String), authorName: "planner", fromBot: true, content: "day one: Kyoto" },
      { id: second.id, authorName: "ana", fromBot: false, content: "and day two?" },
    ]);
    expect((await surface.history!(threadId, { limit: 1 })).map((message) => message.content)).toEqual([
      "keep it cheap",
    ]);
    expect(await surface.pinned!(threadId)).toEqual([]);
    standIn.pin(third.id);
    standIn.pin(second.id);
    expect((await surface.pinned!(threadId)).map((message) => message.content)).toEqual([
      "keep it cheap",
      "and day two?",
    ]);
  });

  it("waits out a 429's retry-after, never retrying early", async () => {
    const asked = standIn.say("general", "hello");
    await received(1);
    standIn.rateLimitNext({ method: "PUT", path: /\/reactions\// }, 300);
    await surface.react({ channelId: asked.channelId, messageId: asked.id }, "📥");
    expect(standIn.stats).toEqual({ forced429: 1, earlyRetries: 0, unforced429: 0 });
    const puts = standIn.restCalls(/reactions/).map((call) => call.status);
    expect(puts).toEqual([429, 204]);
    expect(surface.stats().rateLimits).toBe(1);
  });

  it("holds a request holdNext matches, unanswered, until it is released", async () => {
    const asked = standIn.say("general", "hello");
    await received(1);
    const hold = standIn.holdNext({ method: "PUT", path: /\/reactions\// });
    let answered = false;
    const reacted = surface.react({ channelId: asked.channelId, messageId: asked.id }, "📥").then(() => {
      answered = true;
    });
    await standIn.waitFor((event) => event.kind === "held", "the held reaction");
    expect([answered, standIn.restCalls(/reactions/)]).toEqual([false, []]);
    hold.release();
    await reacted;
    expect(standIn.restCalls(/reactions/).map((call) => call.status)).toEqual([204]);
  });

  it("resumes a dropped gateway: a message sent meanwhile arrives once", async () => {
    standIn.say("general", "before");
    await received(1);
    standIn.dropGateway();
    const during = standIn.say("general", "during the outage");
    await standIn.waitFor((event) => event.kind === "gateway" && event.op === "resumed", "a resume");
    standIn.say("general", "after");
    await received(3);
    expect(inbound.map((message) => message.content)).toEqual(["before", "during the outage", "after"]);
    expect(inbound[1]!.id).toBe(during.id);
    expect(
      standIn.events.filter((event) => event.kind === "gateway" && event.op === "identify"),
    ).toHaveLength(1);
  });

  it("identifies anew after op 9 Invalid Session: what was written meanwhile is read back, not delivered", async () => {
    const sessions: string[] = [];
    surface.onConnected!((session) => sessions.push(session));
    const before = standIn.say("general", "before");
    await received(1);
    standIn.dropGateway(4000, { session: "lost" });
    const during = standIn.say("general", "during the outage");
    await standIn.waitFor((event) => event.kind === "gateway" && event.op === "invalid-session", "op 9");
    await standIn.waitFor(
      (event) =>
        event.kind === "gateway" &&
        event.op === "ready" &&
        standIn.events.filter((seen) => seen.kind === "gateway" && seen.op === "identify").length === 2,
      "a second READY",
    );
    await expect.poll(() => sessions).toEqual(["new"]);
    const after = standIn.say("general", "after");
    await received(2);
    expect(inbound.map((message) => message.id)).toEqual([before.id, after.id]);
    const missed = await surface.messagesSince!(standIn.channelId("general"), {
      after: before.id,
      since: 0,
      limit: 100,
    });
    expect(missed.messages.map((message) => [message.id, message.content, message.channelName])).toEqual([
      [during.id, "during the outage", "general"],
      [after.id, "after", "general"],
    ]);
    expect(missed.skipped).toBe(0);
  });

  it("tells a resume apart from a new session", async () => {
    const sessions: string[] = [];
    surface.onConnected!((session) => sessions.push(session));
    standIn.dropGateway();
    await standIn.waitFor((event) => event.kind === "gateway" && event.op === "resumed", "a resume");
    await expect.poll(() => sessions).toEqual(["resumed"]);
  });

  it("reads a channel's messages back a page at a time with after, keeping the newest within the limit", async () => {
    const channelId = standIn.channelId("research");
    const said = Array.from({ length: 130 }, (_, index) => standIn.say("research", `note ${index}`));
    const read = await surface.messagesSince!(channelId, { after: said[4]!.id, since: 0, limit: 120 });
    expect(read.messages.map((message) => message.content)).toEqual(
      said.slice(10).map((message) => message.content),
    );
    expect(read.skipped).toBe(5);
    const pages = standIn.restCalls(/\/messages$/).filter((call) => call.method === "GET");
    expect(pages).toHaveLength(2);
    // Nothing was written after now, and `since` alone (no `after`) bounds the read too.
    expect(await surface.messagesSince!(channelId, { since: Date.now() + 60_000, limit: 10 })).toEqual({
      messages: [],
      skipped: 0,
    });
    expect(surface.channelIds!(["research", "no-such-channel", standIn.channelId("general")])).toEqual([
      standIn.channelId("general"),
      channelId,
    ]);
  });

  it("reads back its own reactions, people's reactions with their roles, and a message's existing thread", async () => {
    const asked = standIn.say("research", "deploy?");
    await received(1);
    const ref = { channelId: asked.channelId, messageId: asked.id };
    await surface.react(ref, "⚙️");
    standIn.react(asked.id, "✅", { id: "2000000000000000001", username: "ana" }, ["deployers"]);
    standIn.react(asked.id, "✅", { id: "2000000000000000002", username: "bo" });
    expect(await surface.ownReactions!(ref)).toEqual(["⚙️"]);
    expect(await surface.reactionsOn!(ref, "✅")).toEqual([
      expect.objectContaining({
        messageId: asked.id,
        emoji: "✅",
        userName: "ana",
        fromBot: false,
        roles: [{ id: standIn.roleId("deployers"), name: "deployers" }],
      }),
      expect.objectContaining({ userName: "bo", roles: [] }),
    ]);
    expect(await surface.reactionsOn!(ref, "❌")).toEqual([]);
    const thread = await surface.startThread(ref, "deploy?");
    expect(await surface.startThread(ref, "deploy? again")).toBe(thread);
  });
});

describe("embeds on the stand-in", () => {
  const huge = {
    title: "t".repeat(400),
    description: "d".repeat(5_000),
    fields: Array.from({ length: 30 }, (_, index) => ({ name: `agent-${index}`, value: "v".repeat(2_000) })),
    footer: { text: "f".repeat(3_000) },
    author: { name: "a".repeat(300) },
  };

  it("refuses embeds over Discord's limits with 400, as Discord does", async () => {
    const response = await fetch(`${standIn.apiUrl}/v10/channels/${standIn.channelId("general")}/messages`, {
      method: "POST",
      headers: { authorization: `Bot ${standIn.token}`, "content-type": "application/json" },
      body: JSON.stringify({ content: "too much", embeds: [huge] }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Invalid Form Body: embeds.0.fields: at most 25");
  });

  it("takes the surface's over-large embeds fitted within the limits, from the bot and a webhook", async () => {
    const general = standIn.channelId("general");
    await surface.post(general, { content: "", embeds: [huge, ...Array.from({ length: 11 }, () => huge)] });
    await surface.post(general, { content: "as an agent", identity: { name: "research" }, embeds: [huge] });
    const posted = [...standIn.messages.values()].filter((message) => message.channelId === general);
    expect(posted).toHaveLength(2);
    for (const message of posted) {
      const embeds = message.embeds as { footer?: { text: string } }[];
      expect(embeds.length).toBeGreaterThan(0);
      expect(embeds.at(-1)!.footer!.text).toMatch(/^Left out to fit Discord's limits: [\d,]+ characters/);
    }
  });
});
