// The slash commands end to end: the real CLI (`troupe start`) in a child process, its discord.js
// client on the stand-in, commands delivered as INTERACTION_CREATE. /agents, /ask (its answer with
// the task's replay command as a footer, as in a task's thread), /status (embeds),
// /cancel of a running task, /fanout with its joins, /retry of a dead letter that then succeeds,
// /schedule (added, listed, run, cancelled) and an unknown command — each deferred and answered, or
// refused at once and ephemeral, saying what to do.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { longReply } from "../../apps/host/src/testing/longReplyAgent.ts";
import { discordHostFixture } from "../harness/discordHostFixture.ts";
import type { StandInEvent } from "../harness/discordStandIn.ts";
import { answerText, interactionAnswers, interactionCallback } from "../harness/interactionAnswers.ts";

const EPHEMERAL = 64;

let files: string;
beforeAll(() => {
  files = mkdtempSync(join(tmpdir(), "troupe-commands-"));
});
afterAll(() => {
  rmSync(files, { recursive: true, force: true });
});
const host = discordHostFixture({
  standIn: { channels: ["general", "gated"] },
  env: {
    DISCORD_CHANNELS: "gated=gate,general",
    TROUPE_TEST_AGENTS: "gate,long,file",
  },
});

/** Run a command and expect it deferred; resolves to its first answer's text. */
const deferred = async (name: string, options: Record<string, string> = {}) => {
  const id = host.standIn.interact("general", name, options);
  expect((await interactionCallback(host.standIn, id)).body).toMatchObject({ type: 5 });
  return answerText(host.standIn, id, 20_000);
};

/** Run a command and expect it refused at once, ephemeral; resolves to what it said. */
const refused = async (name: string, options: Record<string, string> = {}) => {
  const id = host.standIn.interact("general", name, options);
  const body = (await interactionCallback(host.standIn, id)).body as {
    type: number;
    data: { content: string; flags: number };
  };
  expect(body.type).toBe(4);
  expect(body.data.flags & EPHEMERAL).toBe(EPHEMERAL);
  return body.data.content;
};

/** Run a command and expect it deferred; resolves to its first answer's text and embed footers. */
const deferredWithFooters = async (name: string, options: Record<string, string> = {}) => {
  const id = host.standIn.interact("general", name, options);
  expect((await interactionCallback(host.standIn, id)).body).toMatchObject({ type: 5 });
  const [answer] = await interactionAnswers(host.standIn, id, 1, 20_000);
  const embeds = (answer!.body.embeds ?? []) as { footer?: { text?: string } }[];
  return { text: String(answer!.body.content ?? ""), footers: embeds.map((embed) => embed.footer?.text) };
};

const REPLAY_FOOTER =
  /^replay offline: troupe replay (\S+\/traces\/trace-\d{8}T\d{6}Z\.jsonl) --task (t-\w+)$/;

/** A message Troupe posted in a channel (not a thread) whose content matches. */
const postedIn = (channel: string, match: RegExp) =>
  host.standIn
    .waitFor(
      (event): event is Extract<StandInEvent, { kind: "message" }> =>
        event.kind === "message" &&
        event.message.channelId === host.standIn.channelId(channel) &&
        event.message.author.bot === true &&
        match.test(event.message.content),
      `a post in #${channel} matching ${match}`,
      20_000,
    )
    .then((event) => event.message);

describe("slash commands on Discord", () => {
  it("/agents lists the team's agents", async () => {
    const answer = await deferred("agents");
    for (const agent of ["echo", "system-monitor", "gate", "long", "file"]) expect(answer).toContain(agent);
  });

  it("/cancel cancels a running task (found in /status), and the task's answer says so", async () => {
    const asked = host.standIn.say("gated", join(files, "never-written"));
    await host.standIn.reactionAdded(asked.id, "⚙️");
    const statusId = host.standIn.interact("general", "status");
    await answerText(host.standIn, statusId);
    const statusAnswer = host.standIn.events.find(
      (event): event is Extract<StandInEvent, { kind: "followup" }> =>
        event.kind === "followup" && event.interactionId === statusId,
    )!;
    const fields = (statusAnswer.body.embeds as { fields: { name: string; value: string }[] }[]).flatMap(
      (embed) => embed.fields,
    );
    const gate = fields.find((field) => field.name === "gate")!;
    const taskId = /task (t-\w+)/.exec(gate.value)![1]!;
    expect(gate.value).toBe(`working · breaker closed · queue 0 · task ${taskId}`);

    expect(await deferred("cancel", { task: taskId })).toBe(`🚫 cancelled task ${taskId}`);
    await host.standIn.reactionAdded(asked.id, "🚫");
    const answer = await host.standIn.waitFor(
      (event): event is Extract<StandInEvent, { kind: "message" }> =>
        event.kind === "message" && event.message.channelId === asked.id && event.message.author.bot === true,
      "the task's answer in its thread",
    );
    expect(answer.message.content).toMatch(/^🚫 cancelled/);
    expect(await deferred("cancel", { task: taskId })).toBe(`task ${taskId} has already ended`);
    expect(await deferred("cancel", { task: "t-nothing" })).toBe(
      'no task has the id "t-nothing"; /status shows the running ones',
    );
  });

  it("/ask answers with the reply, and the command that replays the task offline as its footer", async () => {
    const succeeded = await deferredWithFooters("ask", { agent: "echo", text: "hello from a slash command" });
    expect(succeeded.text).toBe("hello from a slash command");
    expect(succeeded.footers).toEqual([expect.stringMatching(REPLAY_FOOTER)]);
    const [, trace] = REPLAY_FOOTER.exec(succeeded.footers[0]!)!;
    expect(existsSync(trace!)).toBe(true);
    // A failed task's answer names the task; its footer replays that one.
    const failed = await deferredWithFooters("ask", { agent: "file", text: join(files, "not-there") });
    const failedId = /^❌ failed \(task (t-\w+)\)/.exec(failed.text)![1]!;
    expect(REPLAY_FOOTER.exec(failed.footers[0] ?? "")?.[2]).toBe(failedId);
  });

  it("/fanout answers with each agent's outcome and the joined verdict; bad input is refused", async () => {
    expect(await deferred("fanout", { agents: "long, echo", text: "12" })).toBe(
      `**long** ✅\n${longReply(12)}\n\n**echo** ✅\n12\n\n✅ done · join all: 2 of 2 succeeded`,
    );
    expect(await deferred("fanout", { agents: "long,file", text: "not-a-number", join: "any" })).toBe(
      "**long** ❌\nlong needs a whole number of characters from 1 to 200000\n\n" +
        "**file** ❌\nfile: there is no file not-a-number (yet)\n\n" +
        "❌ failed · join any: 0 of 2 succeeded",
    );
    expect(await refused("fanout", { agents: "long,nobody", text: "12" })).toMatch(
      /^Unknown agent "nobody": the agents are echo, system-monitor, gate, long, file/,
    );
    expect(await refused("fanout", { agents: "long,echo", text: "12", join: "quorum:3" })).toBe(
      "A quorum of 3 cannot be met by 2 agents: use quorum:1 to quorum:2.",
    );
  });

  it("/retry queues a dead letter (listed in /status) again, and it succeeds this time", async () => {
    const path = join(files, "retry-me");
    const failed = await deferred("ask", { agent: "file", text: path });
    const deadId = /^❌ failed \(task (t-\w+)\): file: there is no file/.exec(failed)![1]!;
    const statusId = host.standIn.interact("general", "status");
    await answerText(host.standIn, statusId);
    const statusAnswer = host.standIn.events.find(
      (event): event is Extract<StandInEvent, { kind: "followup" }> =>
        event.kind === "followup" && event.interactionId === statusId,
    )!;
    expect((statusAnswer.body.embeds as { description: string }[])[0]!.description).toContain(deadId);

    writeFileSync(path, "here now");
    expect(await deferred("retry", { task: deadId })).toMatch(
      new RegExp(`^🔁 retrying dead letter ${deadId} as task t-\\w+:\\nhere now$`),
    );
    expect(await refused("retry", { task: "t-000000000000" })).toBe(
      'No dead letter has the id "t-000000000000"; /status lists the latest dead letters.',
    );
  });

  it("/schedule adds a task that runs and is answered in the channel, lists it and cancels it", async () => {
    const added = await deferred("schedule", { when: "every 1s", text: "7", agent: "long" });
    const jobId = /^⏰ Scheduled (job-\w+) \(every 1s\), next run \S+: @long 7\n/.exec(added)![1]!;
    expect(await deferred("schedule", { action: "list" })).toMatch(
      new RegExp(`^1 scheduled task:\\n- \`${jobId}\` every 1s · next \\S+ · \\d+ runs? → @long 7$`),
    );
    const run = await postedIn("general", new RegExp(`^⏰ ${jobId} ran as task t-\\w+:`));
    expect(run.content.split("\n").slice(1).join("\n")).toBe(longReply(7));
    expect(await deferred("schedule", { action: "cancel", id: jobId })).toBe(
      `🚫 cancelled the scheduled task ${jobId}`,
    );
    expect(await deferred("schedule")).toMatch(/^No scheduled tasks\./);
    expect(await refused("schedule", { when: "whenever", text: "7" })).toMatch(
      /^"whenever" is not a cron expression \(.*\)\. Write `when` as every 5m, at 2026-12-01T09:00:00Z, or a cron expression such as 0 9 \* \* 1-5\.$/,
    );
  });

  it("answers an unknown command at once, ephemeral, listing every command", async () => {
    expect(await refused("dance")).toBe(
      "Unknown command /dance: the commands are /ask, /fanout, /status, /agents, /cancel, /retry, /schedule.",
    );
  });

  it("stops cleanly, with no errors logged", async () => {
    host.troupe.child.kill("SIGTERM");
    expect(await host.troupe.exited).toBe(0);
    expect(host.troupe.logs.filter((record) => record.level === "error")).toEqual([]);
  });
});
