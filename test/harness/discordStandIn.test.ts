// The stand-in driven by the real discord.js through the Discord surface adapter: login and
// clientReady, messages in, threads, webhooks per identity (created once), files, own reactions,
// a forced 429 waited out, and a dropped gateway resumed without losing or doubling a message.
// After a restart: own and people's reactions (with roles) read back, a message's thread found again.

import type { InboundMessage } from "@troupe/runtime";
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
