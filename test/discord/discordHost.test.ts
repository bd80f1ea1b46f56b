// `troupe start` on Discord, end to end: the real CLI in a child process, its discord.js client on
// the stand-in through DISCORD_API_URL. A message in a mapped channel becomes a task with a thread,
// one status reaction at a time (📥 first, ✅ last, in order), and the agent's reply in the thread
// under its own webhook identity; long replies come as balanced chunks or a file; bots start nothing;
// a 429 is waited out; a dropped gateway resumes and a message delivered twice is handled once.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planReply, splitMessage } from "@troupe/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { longReply } from "../../apps/host/src/testing/longReplyAgent.ts";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type DiscordStandIn, type StandInEvent, startDiscordStandIn } from "../harness/discordStandIn.ts";
import { interactionAnswers, interactionCallback } from "../harness/interactionAnswers.ts";

const STATUS = ["📥", "👀", "⚙️", "✋", "🔁", "✅", "❌", "🚫"];

let standIn: DiscordStandIn;
let troupe: TroupeProcess;
let gates: string;

const discordEnv = () => ({
  ...standIn.hostEnv(),
  DISCORD_CHANNELS: "gated=gate,long=long,general",
  TROUPE_TEST_AGENTS: "gate,long",
});

beforeAll(async () => {
  gates = mkdtempSync(join(tmpdir(), "troupe-gates-"));
  standIn = await startDiscordStandIn({ channels: ["general", "gated", "long", "random"] });
  troupe = spawnTroupe(["start"], discordEnv());
  await troupe.log("discord surface started");
});

afterAll(async () => {
  troupe?.child.kill("SIGTERM");
  await troupe?.exited;
  await standIn?.close();
  rmSync(gates, { recursive: true, force: true });
});

/** Messages posted in a thread so far. */
const postsIn = (threadId: string) =>
  [...standIn.messages.values()].filter((message) => message.channelId === threadId);
const posts = (threadId: string, count: number) =>
  standIn
    .waitFor(() => postsIn(threadId).length >= count, `${count} posts in ${threadId}`)
    .then(() => postsIn(threadId));
const reactionEvents = (messageId: string) =>
  standIn.events.filter(
    (event): event is Extract<StandInEvent, { kind: "reaction" }> =>
      event.kind === "reaction" && event.messageId === messageId,
  );

describe("troupe start on Discord", () => {
  it("turns a message into a thread, reactions 📥 … ⚙️ … ✅ one at a time, and the reply by the agent's webhook", async () => {
    const gate = join(gates, "first");
    const asked = standIn.say("gated", gate);
    const thread = await standIn.threadOn(asked.id);
    expect(thread.name).toBe(gate.slice(0, 100));
    await standIn.reactionAdded(asked.id, "⚙️"); // the task is held in working until the gate opens
    writeFileSync(gate, "the gate is open");
    await standIn.reactionAdded(asked.id, "✅");
    const [reply] = await posts(thread.id, 1);
    expect(reply).toMatchObject({ content: "the gate is open", author: { username: "gate" } });
    expect(reply!.webhookId).toBeDefined();
    expect(reply!.allowedMentions).toEqual({ parse: [], users: [], roles: [] });
    const changes = reactionEvents(asked.id);
    // One status reaction at a time, always.
    for (const change of changes)
      expect(change.shown.filter((emoji) => STATUS.includes(emoji)).length).toBeLessThanOrEqual(1);
    // The states shown are in lifecycle order: 📥 first, ⚙️ while held, ✅ last; 👀 may be coalesced away.
    const added = changes.filter((change) => change.op === "add").map((change) => change.emoji);
    expect(added[0]).toBe("📥");
    expect(added.at(-1)).toBe("✅");
    expect(added).toContain("⚙️");
    const order = ["📥", "👀", "⚙️", "✅"];
    expect(added.map((emoji) => order.indexOf(emoji))).toEqual(
      [...added.map((emoji) => order.indexOf(emoji))].sort(),
    );
    expect([...standIn.messages.get(asked.id)!.reactions]).toEqual(["✅"]);
  });

  it("posts a 3,000-character reply as balanced chunks and a 20,000-character one as a file", async () => {
    const medium = standIn.say("long", "3000");
    const large = standIn.say("long", "20000");
    const [mediumThread, largeThread] = await Promise.all([
      standIn.threadOn(medium.id),
      standIn.threadOn(large.id),
    ]);
    const expected = splitMessage(longReply(3_000));
    expect(expected.length).toBeGreaterThan(1);
    const chunks = await posts(mediumThread.id, expected.length);
    expect(chunks.map((chunk) => chunk.content)).toEqual(expected);
    for (const chunk of chunks) {
      expect(chunk.content.length).toBeLessThanOrEqual(2_000);
      expect(chunk.content.split("\n").filter((line) => line.startsWith("```")).length % 2).toBe(0);
      expect(chunk.author.username).toBe("long");
    }
    const [note] = await posts(largeThread.id, 1);
    expect(note!.content).toBe(planReply(longReply(20_000)).messages[0]);
    expect(note!.files.map((file) => [file.name, file.data.toString("utf8")])).toEqual([
      ["reply.md", longReply(20_000)],
    ]);
    // The agent's webhook in #long was created once and reused for both replies.
    expect([...standIn.webhooks.values()].filter((hook) => hook.name === "long")).toHaveLength(1);
  });

  it("takes a mention of the bot itself off the request the agent gets", async () => {
    const gate = join(gates, "mentioned");
    writeFileSync(gate, "opened without the mention");
    const asked = standIn.say("gated", `<@${standIn.applicationId}> ${gate}`);
    const thread = await standIn.threadOn(asked.id);
    expect(thread.name).toBe(gate.slice(0, 100));
    const [reply] = await posts(thread.id, 1);
    expect(reply).toMatchObject({ content: "opened without the mention", author: { username: "gate" } });
  });

  it("ignores bots (and Troupe's own webhooks) and channels it does not read", async () => {
    const fromBot = standIn.say("general", "@long 10", {
      id: "3000000000000000001",
      username: "other-bot",
      bot: true,
    });
    const elsewhere = standIn.say("random", "@long 10");
    const person = standIn.say("general", "@long 10");
    await standIn.threadOn(person.id);
    expect(standIn.threads.has(fromBot.id)).toBe(false);
    expect(standIn.threads.has(elsewhere.id)).toBe(false);
    // Every reply Troupe posted came back through the gateway as a message: none became a task.
    const troupePosts = [...standIn.messages.values()].filter((message) => message.author.bot);
    expect(troupePosts.length).toBeGreaterThan(1);
    for (const post of troupePosts) expect(standIn.threads.has(post.id)).toBe(false);
  });

  it("waits out a 429's retry-after before creating the thread", async () => {
    standIn.rateLimitNext({ method: "POST", path: /\/threads$/ }, 400);
    const asked = standIn.say("long", "5");
    await standIn.threadOn(asked.id);
    await standIn.reactionAdded(asked.id, "✅");
    expect(standIn.stats.forced429).toBe(1);
    expect(standIn.stats.earlyRetries).toBe(0);
    expect(standIn.stats.unforced429).toBe(0);
    // The host counts Discord's REST answers and the rate-limit hit in /metrics.
    const { url } = (await troupe.log("http listening")) as { url: string };
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/troupe_discord_rest_requests_total\{method="POST",status="2xx"\} [1-9]/);
    expect(metrics).toMatch(/troupe_discord_rest_requests_total\{method="POST",status="429"\} 1/);
  });

  it("reports the connected gateway on /healthz", async () => {
    const { url } = (await troupe.log("http listening")) as { url: string };
    const answer = await fetch(`${url}/healthz`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({
      components: { discord: { status: "up", details: { gateway: "connected" } }, store: { status: "up" } },
    });
  });

  it("resumes after a gateway drop and handles a message delivered twice only once", async () => {
    const before = standIn.say("long", "7");
    await standIn.threadOn(before.id);
    standIn.dropGateway();
    const during = standIn.say("long", "8");
    await standIn.waitFor((event) => event.kind === "gateway" && event.op === "resumed", "a resume");
    standIn.redeliver(before.id);
    standIn.redeliver(during.id);
    const after = standIn.say("long", "9");
    await Promise.all([
      standIn.threadOn(during.id),
      standIn.threadOn(after.id),
      standIn.reactionAdded(after.id, "✅"),
    ]);
    const threadCalls = standIn
      .restCalls(/\/threads$/)
      .filter((call) =>
        [before.id, during.id, after.id].some((id) => call.path.includes(`/messages/${id}/`)),
      );
    expect(threadCalls.map((call) => call.status)).toEqual([201, 201, 201]);
    expect(
      standIn.events.filter((event) => event.kind === "gateway" && event.op === "identify"),
    ).toHaveLength(1);
  });

  it("registers the slash commands with troupe register-commands", async () => {
    const run = spawnTroupe(["register-commands"], discordEnv());
    expect(await run.exited).toBe(0);
    expect(run.stdout).toContain(
      `Registered /ask, /fanout, /status, /agents, /cancel, /retry, /schedule in server ${standIn.guildId}.`,
    );
    expect(standIn.commands.get(`guild:${standIn.guildId}`)?.map((command) => command.name)).toEqual([
      "ask",
      "fanout",
      "status",
      "agents",
      "cancel",
      "retry",
      "schedule",
    ]);
  });

  it("defers /status and /ask, then answers them; a bad /ask is answered at once, ephemeral", async () => {
    const callback = (id: string) => interactionCallback(standIn, id);
    const answer = async (id: string) => (await interactionAnswers(standIn, id))[0]!;
    const status = standIn.interact("general", "status");
    expect((await callback(status)).body).toMatchObject({ type: 5 }); // deferred
    const statusAnswer = await answer(status);
    expect(statusAnswer.op).toBe("edit-original");
    const fields = (statusAnswer.body.embeds as { fields: { name: string }[] }[]).flatMap(
      (embed) => embed.fields,
    );
    expect(fields.map((field) => field.name)).toEqual(["echo", "system-monitor", "gate", "long"]);

    const asked = standIn.interact("general", "ask", { agent: "long", text: "12" });
    expect((await callback(asked)).body).toMatchObject({ type: 5 });
    expect((await answer(asked)).body).toMatchObject({
      content: longReply(12),
      allowed_mentions: { parse: [] },
    });

    const bad = standIn.interact("general", "ask", { agent: "nobody", text: "hi" });
    const refused = (await callback(bad)).body as { type: number; data: { content: string; flags: number } };
    expect(refused.type).toBe(4); // answered at once
    expect(refused.data.flags & 64).toBe(64); // ephemeral
    expect(refused.data.content).toMatch(/^Unknown agent "nobody": the agents are echo, system-monitor/);
  });

  it("never logs the token, and stops cleanly on SIGTERM", async () => {
    troupe.child.kill("SIGTERM");
    expect(await troupe.exited).toBe(0);
    expect(troupe.logs.map((record) => record.msg)).toContain("discord surface stopped");
    expect(troupe.logs.filter((record) => record.level === "error")).toEqual([]);
    expect(troupe.stderr.join("\n")).not.toContain(standIn.token);
  });
});

describe("troupe start with bad Discord settings", () => {
  it("stops with one line naming the field", async () => {
    const run = spawnTroupe(["start"], { ...discordEnv(), DISCORD_CHANNELS: "gated=nobody" });
    expect(await run.exited).toBe(2);
    expect(run.stderr.join("\n")).toContain('DISCORD_CHANNELS maps "gated" to the agent "nobody"');
    const bad = spawnTroupe(["start"], { ...discordEnv(), DISCORD_GUILD_ID: "guild" });
    expect(await bad.exited).toBe(2);
    expect(bad.stderr.join("\n")).toContain(
      'DISCORD_GUILD_ID must be a Discord id (17 to 20 digits), got "guild"',
    );
  });
});
