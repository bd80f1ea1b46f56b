// Scheduled runs' outcomes on the notifier, through the real `troupe start` on the Discord stand-in
// with a Discord-webhook sink stand-in: a schedule with notify:all has its run's outcome delivered
// once, as the agent's notification line (info); one with notify:failed whose run dead-letters is
// delivered as a warning naming the failure; a schedule without notify (the host's default, off)
// runs and is answered in its channel, and the sink hears nothing of it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discordHostFixture } from "../harness/discordHostFixture.ts";
import type { StandInEvent } from "../harness/discordStandIn.ts";
import { type DiscordWebhookStandIn, startDiscordWebhookStandIn } from "../harness/discordWebhookStandIn.ts";
import { answerText, interactionCallback } from "../harness/interactionAnswers.ts";

let sink: DiscordWebhookStandIn;
const env: Record<string, string> = {
  DISCORD_CHANNELS: "general",
  TROUPE_TEST_AGENTS: "long",
  TROUPE_NOTIFY_ORDER: "discord",
};
// Registered before the host's fixture, so the sink's URL is in `env` when the host starts.
beforeAll(async () => {
  sink = await startDiscordWebhookStandIn();
  env.TROUPE_NOTIFY_DISCORD_WEBHOOK = sink.webhookUrl;
});
const host = discordHostFixture({ standIn: { channels: ["general"] }, env });
afterAll(async () => {
  await sink?.close();
});

/** Schedule a one-shot `inMs` from now (a moment by default); resolves to its job id. */
const scheduleSoon = async (options: Record<string, string>, inMs = 3_000) => {
  const when = `at ${new Date(Date.now() + inMs).toISOString()}`;
  const id = host.standIn.interact("general", "schedule", { when, agent: "long", ...options });
  expect((await interactionCallback(host.standIn, id)).body).toMatchObject({ type: 5 });
  return /^⏰ Scheduled (job-\w+) /.exec(await answerText(host.standIn, id, 20_000))![1]!;
};

/** The run's answer in #general. */
const answered = (jobId: string) =>
  host.standIn.waitFor(
    (event): event is Extract<StandInEvent, { kind: "message" }> =>
      event.kind === "message" && event.message.content.startsWith(`⏰ ${jobId} ran as task`),
    `the answer of ${jobId}`,
    20_000,
  );

/** The sink's messages that name this job. */
const alertsOf = (jobId: string) => sink.messages.filter((message) => message.content.includes(jobId));

const nthAlert = async (count: number) => {
  await sink.waitForMessages(count, AbortSignal.timeout(20_000));
  return sink.messages[count - 1]!.content;
};

describe("scheduled runs' outcomes on the notifier", () => {
  it("leaves an unflagged schedule's run to its channel, and sends a flagged one's notification line once", async () => {
    const quiet = await scheduleSoon({ text: "300" });
    await answered(quiet);
    const loud = await scheduleSoon({ text: "300", notify: "all" });
    expect(await nthAlert(1)).toMatch(
      new RegExp(
        `^ℹ️ \\*\\*long · scheduled ${loud} \\(at \\S+\\) done\\*\\* \\(info, long\\)\nlong: 300 characters$`,
      ),
    );
    expect(alertsOf(quiet)).toEqual([]);
  });

  it("sends a dead-lettered run of a notify:failed schedule as a warning naming the failure", async () => {
    const failing = await scheduleSoon({ text: "not a number", notify: "failed" });
    const alert = await nthAlert(2);
    expect(alert).toMatch(
      new RegExp(`^⚠️ \\*\\*long · scheduled ${failing} \\(at \\S+\\) failed\\*\\* \\(warning, long\\)\n`),
    );
    expect(alert).toContain(
      "Failed after 1 attempt: long needs a whole number of characters from 1 to 200000",
    );
    // The first test's alert was sent once, not again with this one.
    expect(sink.messages).toHaveLength(2);
  });

  it("lists the schedule's notify setting", async () => {
    const listed = await scheduleSoon({ text: "5", notify: "failed" }, 3_600_000);
    const id = host.standIn.interact("general", "schedule", { action: "list" });
    await interactionCallback(host.standIn, id);
    expect(await answerText(host.standIn, id, 20_000)).toMatch(
      new RegExp(`\`${listed}\` at \\S+ · next \\S+ · 0 runs · notify failed → @long 5`),
    );
  });

  it("stops cleanly, with no errors logged", async () => {
    host.troupe.child.kill("SIGTERM");
    expect(await host.troupe.exited).toBe(0);
    expect(host.troupe.logs.filter((record) => record.level === "error")).toEqual([]);
  });
});
