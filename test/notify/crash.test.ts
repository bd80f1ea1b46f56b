// The never-dropped promise under a crash: a notifier process holding 100 alerts for a Discord that
// is down is killed with SIGKILL; a new process on the same outbox (the embedded SQLite file, or
// Redis) delivers all 100 once Discord is back, none twice.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { OutboxStore } from "@troupe/runtime/notify";
import { deleteNamespace, RedisOutboxStore } from "@troupe/runtime/redis";
import { openSqliteOutboxStore } from "@troupe/runtime/sqlite";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { startDiscordWebhookStandIn } from "../harness/discordWebhookStandIn.ts";
import { startKakaoWorkStandIn } from "../harness/kakaoWorkStandIn.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const startNotifier = (env: Record<string, string>) => {
  const child = spawn(
    "node_modules/.bin/node",
    ["--conditions=troupe-source", "test/fixtures/notifierProcess.ts"],
    {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const lines: string[] = [];
  let errors = "";
  const waiters = new Set<() => void>();
  let rest = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    lines.push(...parts);
    for (const wake of waiters) wake();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    errors += chunk;
  });
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    return exited;
  });
  const line = (match: string) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "${match}" from the notifier\n${lines.join("\n")}\n${errors}`)),
        20_000,
      );
      const check = () => {
        const found = lines.find((entry) => entry.startsWith(match));
        if (!found) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
      };
      waiters.add(check);
      check();
    });
  return { child, lines, line, exited };
};

const kill = async (child: ChildProcess, exited: Promise<void>) => {
  child.kill("SIGKILL");
  await exited;
};

const crashAndRecover = async (outbox: string, open: () => OutboxStore) => {
  const discord = await startDiscordWebhookStandIn();
  const kakaowork = await startKakaoWorkStandIn();
  cleanups.push(
    () => discord.close(),
    () => kakaowork.close(),
  );
  const env = { OUTBOX: outbox, DISCORD_WEBHOOK_URL: discord.webhookUrl, KAKAOWORK_URL: kakaowork.url };
  discord.down = true;
  const first = startNotifier({ ...env, ENQUEUE: "100" });
  await first.line("enqueued 100");
  await kill(first.child, first.exited);
  const store = open();
  cleanups.push(() => store.close());
  expect((await store.stats(["discord"])).sinks.discord!.pending).toBe(100);

  discord.down = false;
  const second = startNotifier(env);
  await discord.waitForMessages(100, AbortSignal.timeout(20_000));
  // Recorded as sent: nothing is left to send again.
  for (let index = 0; index < 100; index += 1) await second.line(`sent discord crash-${index}/discord/1`);
  expect((await store.stats(["discord"])).sinks.discord!.pending).toBe(0);
  await kill(second.child, second.exited);
  const texts = discord.messages.map((message) => message.content);
  expect(texts).toHaveLength(100);
  expect(new Set(texts).size).toBe(100);
  expect(texts.filter((text) => text.includes("alert number 42:"))).toHaveLength(1);
  expect(kakaowork.messages).toEqual([]);
};

describe("a notifier killed with SIGKILL while 100 alerts are pending", () => {
  it("delivers all 100 after a restart, none twice (embedded SQLite outbox)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "troupe-crash-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "default.sqlite");
    await crashAndRecover(`sqlite:${path}`, () => openSqliteOutboxStore({ path }));
  });

  it("delivers all 100 after a restart, none twice (Redis outbox)", async () => {
    const namespace = `test-${randomUUID()}`;
    const admin = new Redis("redis://127.0.0.1:6379");
    cleanups.push(async () => {
      await deleteNamespace(admin, namespace);
      await admin.quit();
    });
    await crashAndRecover(`redis:${namespace}`, () => new RedisOutboxStore({ redis: admin, namespace }));
  });
});
