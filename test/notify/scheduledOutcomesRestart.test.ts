// A scheduled run's outcome on the notifier across a SIGKILL, through the real `troupe start` on the
// Discord stand-in: with TROUPE_NOTIFY_TASKS=all (the schedule says nothing itself), a run cut off
// while it works finishes after the restart on the same data folder, and its outcome reaches the
// webhook sink once, in the agent's notification form (the gate agent has none: its text's first line).
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import { startDiscordStandIn } from "../harness/discordStandIn.ts";
import { startDiscordWebhookStandIn } from "../harness/discordWebhookStandIn.ts";
import { answerText, interactionCallback } from "../harness/interactionAnswers.ts";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it("sends the outcome of a run cut off by a SIGKILL once, after the restart", async () => {
  const folder = mkdtempSync(join(tmpdir(), "troupe-notify-restart-"));
  cleanups.push(() => rmSync(folder, { recursive: true, force: true }));
  const standIn = await startDiscordStandIn({ channels: ["general"] });
  cleanups.push(() => standIn.close());
  const sink = await startDiscordWebhookStandIn();
  cleanups.push(() => sink.close());
  const start = async () => {
    const troupe = spawnTroupe(["start"], {
      ...standIn.hostEnv(),
      DISCORD_CHANNELS: "general",
      TROUPE_TEST_AGENTS: "gate",
      TROUPE_DATA_DIR: join(folder, "data"),
      TROUPE_CONSUMER: "notify-restart-test",
      TROUPE_NOTIFY_DISCORD_WEBHOOK: sink.webhookUrl,
      TROUPE_NOTIFY_ORDER: "discord",
      TROUPE_NOTIFY_TASKS: "all",
    });
    cleanups.push(async () => {
      if (troupe.child.exitCode === null && troupe.child.signalCode === null) troupe.child.kill("SIGKILL");
      await troupe.exited;
    });
    await troupe.log("discord surface started");
    return troupe;
  };
  const command = async (options: Record<string, string>) => {
    const id = standIn.interact("general", "schedule", options);
    await interactionCallback(standIn, id);
    return answerText(standIn, id, 20_000);
  };

  const gate = join(folder, "gate");
  const first: TroupeProcess = await start();
  const when = `at ${new Date(Date.now() + 3_000).toISOString()}`;
  const jobId = /^⏰ Scheduled (job-\w+) /.exec(await command({ when, text: gate, agent: "gate" }))![1]!;
  await first.log("scheduler: a scheduled task was queued");
  // The one-shot is forgotten once its run is queued: the restart cannot run it a second time.
  await expect.poll(() => command({ action: "list" }), { timeout: 20_000 }).toMatch(/^No scheduled tasks\./);
  first.child.kill("SIGKILL");
  expect(await first.exited).toBe("SIGKILL");

  writeFileSync(`${gate}.tmp`, "the gate is open\nand a second line");
  renameSync(`${gate}.tmp`, gate);
  const second = await start();
  await sink.waitForMessages(1, AbortSignal.timeout(30_000));
  expect(sink.messages[0]!.content).toMatch(
    new RegExp(
      `^ℹ️ \\*\\*gate · scheduled ${jobId} \\(at \\S+\\) done\\*\\* \\(info, gate\\)\nthe gate is open$`,
    ),
  );
  second.child.kill("SIGTERM");
  expect(await second.exited).toBe(0);
  expect(sink.messages).toHaveLength(1);
  expect(second.logs.filter((record) => record.level === "error")).toEqual([]);
});
