// The notifier inside the real `troupe start`: an alert raised on the bus (here by another process,
// through the Redis event mirror) reaches the Discord webhook stand-in; the host killed with SIGKILL
// while 100 alerts wait for a Discord that is down delivers all 100 after its restart, none twice;
// /status shows the outbox; a warning too long for KakaoTalk goes there as a digest naming Discord,
// which gets the whole text; an unknown sink and a malformed token file are one clear line each and
// the host runs on; the host's own system monitor's alerts ("system-monitor/disk:/") reach the file drop.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { EventBus } from "@troupe/runtime";
import { fileNameOf } from "@troupe/runtime/notify";
import { deleteNamespace, mirrorEvents, RedisOutboxStore } from "@troupe/runtime/redis";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it, vi } from "vitest";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import { startDiscordWebhookStandIn } from "../harness/discordWebhookStandIn.ts";
import { startKakaoStandIn } from "../harness/kakaoStandIn.ts";

const REDIS_URL = "redis://127.0.0.1:6379";
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const started = (troupe: TroupeProcess) => {
  cleanups.push(async () => {
    if (troupe.child.exitCode === null && troupe.child.signalCode === null) troupe.child.kill("SIGKILL");
    await troupe.exited;
  });
  return troupe.log("troupe started");
};

/** Publish alerts on the namespace's Redis mirror, as another host's agents would. */
const reporter = async (namespace: string) => {
  const redis = new Redis(REDIS_URL);
  const bus = new EventBus();
  const mirror = mirrorEvents({ bus, redis, namespace, direction: "publish" });
  await mirror.ready(AbortSignal.timeout(5_000));
  cleanups.push(async () => {
    await mirror.close();
    await redis.quit();
  });
  return (alertId: string, text = `text of ${alertId}`) =>
    bus.publish({
      type: "alert.raised",
      alertId,
      severity: "warning",
      source: "system-monitor",
      title: alertId,
      text,
    });
};

describe("the host's notifier", () => {
  it("delivers bus alerts to Discord, and all 100 pending ones after a SIGKILL, none twice", async () => {
    const namespace = `test-${randomUUID()}`;
    const admin = new Redis(REDIS_URL);
    cleanups.push(async () => {
      await deleteNamespace(admin, namespace);
      await admin.quit();
    });
    const discord = await startDiscordWebhookStandIn();
    cleanups.push(() => discord.close());
    const dir = mkdtempSync(join(tmpdir(), "troupe-host-notify-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const env = {
      REDIS_URL,
      TROUPE_NAMESPACE: namespace,
      TROUPE_CONSUMER: "host-notify",
      TROUPE_NOTIFY_DISCORD_WEBHOOK: discord.webhookUrl,
      TROUPE_NOTIFY_ORDER: "discord",
      TROUPE_DATA_DIR: dir,
    };
    const raise = await reporter(namespace);
    const outbox = new RedisOutboxStore({ redis: admin, namespace });

    const first = spawnTroupe(["start"], env);
    await started(first);
    // Pub/sub is at-most-once and the host's mirror subscribes as it starts: raise until it is
    // through (raising the same alert id again is a no-op for the outbox).
    const through = discord.waitForMessages(1);
    const again = setInterval(() => raise("hello"), 50);
    raise("hello");
    await through.finally(() => clearInterval(again));
    expect(discord.messages[0]!.content).toBe("⚠️ **hello** (warning, system-monitor)\ntext of hello");

    discord.down = true;
    for (let index = 0; index < 100; index += 1) raise(`pending-${index}`);
    for (;;) {
      // Wait (on Redis, not on time) until the host has stored all 100 in its outbox.
      const { sinks } = await outbox.stats(["discord"]);
      if (sinks.discord!.pending === 100) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    first.send("/status");
    await first.line(/^discord\s+100\s/);
    first.child.kill("SIGKILL");
    await first.exited;

    discord.down = false;
    const second = spawnTroupe(["start"], env);
    await started(second);
    await discord.waitForMessages(101, AbortSignal.timeout(25_000));
    for (;;) {
      const { sinks } = await outbox.stats(["discord"]);
      if (sinks.discord!.pending === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const pending = discord.messages.slice(1).map((message) => message.content);
    expect(pending).toHaveLength(100);
    expect(new Set(pending).size).toBe(100);
    second.end();
    expect(await second.exited).toBe(0);
  }, 60_000);

  it("delivers the system monitor's own alerts to the file drop", async () => {
    const dir = mkdtempSync(join(tmpdir(), "troupe-host-notify-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const troupe = spawnTroupe(["start"], {
      TROUPE_DATA_DIR: dir,
      // Any disk in use is over this line: the monitor's first check raises "system-monitor/disk:/".
      TROUPE_MONITOR_THRESHOLDS: "diskUsed=0.000001",
    });
    await started(troupe);
    troupe.send("/ask system-monitor how is the box?");
    // One file per delivery, named after `<alertId>/<sink>/<chunk>`.
    const file = join(dir, "alerts", fileNameOf("system-monitor/disk://file/1"));
    await vi.waitFor(
      () => {
        expect(readdirSync(join(dir, "alerts"))).toContain(basename(file));
      },
      { timeout: 15_000, interval: 20 },
    );
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({
      alertId: "system-monitor/disk:/",
      title: "Disk almost full",
    });
    expect(troupe.logs.filter((record) => record.msg === "notifier: alert refused")).toEqual([]);
    troupe.end();
    expect(await troupe.exited).toBe(0);
  });

  it("sends a warning KakaoTalk can only digest whole to Discord, and the digest says so", async () => {
    const namespace = `test-${randomUUID()}`;
    const admin = new Redis(REDIS_URL);
    cleanups.push(async () => {
      await deleteNamespace(admin, namespace);
      await admin.quit();
    });
    const discord = await startDiscordWebhookStandIn();
    cleanups.push(() => discord.close());
    const kakao = await startKakaoStandIn();
    cleanups.push(() => kakao.close());
    const dir = mkdtempSync(join(tmpdir(), "troupe-host-digest-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const tokenFile = join(dir, "tokens.json");
    writeFileSync(tokenFile, JSON.stringify(kakao.issue()));
    const raise = await reporter(namespace);
    const troupe = spawnTroupe(["start"], {
      REDIS_URL,
      TROUPE_NAMESPACE: namespace,
      TROUPE_DATA_DIR: dir,
      TROUPE_NOTIFY_DISCORD_WEBHOOK: discord.webhookUrl,
      KAKAO_REST_API_KEY: kakao.restApiKey,
      KAKAO_API_URL: kakao.url,
      KAKAO_AUTH_URL: kakao.url,
      KAKAO_TOKEN_FILE: tokenFile,
      TROUPE_NOTIFY_ORDER: "kakao,discord",
    });
    await started(troupe);
    const text = "디스크 사용량이 93%입니다. 🧑🏻‍💻 오래된 로그를 정리해 주세요. ".repeat(12).trim();
    const through = discord.waitForMessages(1);
    const again = setInterval(() => raise("disk-full", text), 50);
    raise("disk-full", text);
    await through.finally(() => clearInterval(again));
    await discord.waitForMessages(Math.ceil(text.length / 2_000));
    expect(discord.messages.map((message) => message.content).join("")).toContain(text);
    await expect.poll(() => kakao.memos.length).toBe(1);
    expect(kakao.memos[0]!.text).toMatch(/characters; full text on discord\)$/);
    troupe.end();
    expect(await troupe.exited).toBe(0);
  }, 30_000);

  it("names an unknown sink and a malformed token file, and runs on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "troupe-host-notify-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const tokenFile = join(dir, "kakao-tokens.json");
    writeFileSync(tokenFile, "{ not json");
    const troupe = spawnTroupe(["start"], {
      TROUPE_DATA_DIR: dir,
      TROUPE_NOTIFY_ORDER: "discrod,kakao,file",
      KAKAO_REST_API_KEY: "key",
      KAKAO_TOKEN_FILE: tokenFile,
    });
    await started(troupe);
    const order = await troupe.log(
      'notifier configuration: TROUPE_NOTIFY_ORDER: unknown sink "discrod" (known: discord, kakaowork, kakao, webhook, file)',
    );
    expect(order.level).toBe("error");
    const file = troupe.logs.find((record) => String(record.msg).includes("KAKAO_TOKEN_FILE"));
    expect(file?.msg).toMatch(
      new RegExp(
        `the Kakao token file ${tokenFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not a JSON object of tokens`,
      ),
    );
    troupe.send("/ask echo still here");
    await troupe.line("still here");
    troupe.end();
    expect(await troupe.exited).toBe(0);
  });
});
