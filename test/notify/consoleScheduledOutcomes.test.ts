// Scheduled runs' outcomes on the notifier from the console, through the real `troupe start` with a
// Discord-webhook sink stand-in: `/schedule … notify:all` written as a console line sends the run's
// notification line, and a `notify:failed` run that fails three times (Ollama down, retried) arrives
// once, as a warning, after its last attempt — never per retry.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { spawnTroupe } from "../../apps/host/src/testing/spawnTroupe.ts";
import { startDiscordWebhookStandIn } from "../harness/discordWebhookStandIn.ts";
import { startOllamaStandIn } from "../harness/ollamaStandIn.ts";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it("sends a console schedule's outcome, and a retried failure once, as a warning", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "troupe-console-notify-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const sink = await startDiscordWebhookStandIn();
  cleanups.push(() => sink.close());
  const ollama = await startOllamaStandIn({ models: ["qwen3:8b"] });
  await ollama.close(); // Ollama is down: the research agent's runs fail, and are retried
  const troupe = spawnTroupe(["start"], {
    TROUPE_DATA_DIR: dataDir,
    TROUPE_TEST_AGENTS: "long",
    TROUPE_AGENTS: "research",
    OLLAMA_HOST: ollama.url,
    MODEL_RESEARCH: "qwen3:8b",
    TROUPE_MAX_ATTEMPTS: "3",
    TROUPE_RETRY_BACKOFF: "50ms",
    TROUPE_NOTIFY_DISCORD_WEBHOOK: sink.webhookUrl,
    TROUPE_NOTIFY_ORDER: "discord",
  });
  cleanups.push(async () => {
    if (troupe.child.exitCode === null && troupe.child.signalCode === null) troupe.child.kill("SIGKILL");
    await troupe.exited;
  });
  await troupe.log("troupe started");
  const soon = new Date(Date.now() + 3_000).toISOString();
  troupe.send(`/schedule when:at ${soon} text:300 agent:long notify:all`);
  const loud = /⏰ Scheduled (job-\w+) /.exec(await troupe.line(/⏰ Scheduled job-\w+ .*@long 300$/))![1]!;
  troupe.send(`/schedule when:at ${soon} text:what is a closure? agent:research notify:failed`);
  const failing = /⏰ Scheduled (job-\w+) /.exec(await troupe.line(/⏰ Scheduled job-\w+ .*@research/))![1]!;

  await sink.waitForMessages(2, AbortSignal.timeout(30_000));
  const of = (jobId: string) => sink.messages.filter((message) => message.content.includes(jobId));
  expect(of(loud).map((message) => message.content)).toEqual([
    expect.stringMatching(
      new RegExp(
        `^ℹ️ \\*\\*long · scheduled ${loud} \\(at \\S+\\) done\\*\\* \\(info, long\\)\nlong: 300 characters$`,
      ),
    ),
  ]);
  expect(of(failing).map((message) => message.content)).toEqual([
    expect.stringMatching(
      new RegExp(
        `^⚠️ \\*\\*research · scheduled ${failing} \\(at \\S+\\) failed\\*\\* \\(warning, research\\)\nFailed after 3 attempts: `,
      ),
    ),
  ]);
  troupe.end();
  expect(await troupe.exited).toBe(0);
  expect(sink.messages).toHaveLength(2);
});
