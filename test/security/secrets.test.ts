// Every secret a user configures stays out of everything troupe writes or serves. The real
// `troupe start` on Discord (the stand-in) with Redis behind a password (a private redis-server
// with requirepass), an HTTP token, a generic webhook with user:password@ and ?token= that answers
// by echoing what it got, the Discord webhook's token, KakaoWork's app key, Kakao's REST key,
// client secret and OAuth tokens (refreshed during the run), and PostgreSQL and Ollama URLs with
// passwords that cannot be reached. The run fails a task on the Ollama URL, dead-letters an alert
// on the webhook (the notice goes to the other sinks), and sends a critical alert everywhere. Then
// every output is searched for every secret: stdout, stderr, the data folder's files, every Redis
// key and value of the namespace (Kakao's tokens only where they are kept: the token store),
// /metrics, /healthz, the /inspect stream, the alert files, and what the Discord stand-in and every
// sink received. None is found.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBus } from "@troupe/runtime";
import { mirrorEvents } from "@troupe/runtime/redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnTroupe, type TroupeProcess } from "../../apps/host/src/testing/spawnTroupe.ts";
import { type DiscordStandIn, startDiscordStandIn } from "../harness/discordStandIn.ts";
import { type DiscordWebhookStandIn, startDiscordWebhookStandIn } from "../harness/discordWebhookStandIn.ts";
import { type KakaoStandIn, startKakaoStandIn } from "../harness/kakaoStandIn.ts";
import { type KakaoWorkStandIn, startKakaoWorkStandIn } from "../harness/kakaoWorkStandIn.ts";
import { type PrivateRedis, startPrivateRedis } from "../harness/privateRedis.ts";
import { type StandInServer, sendJson, startStandInServer } from "../harness/standInServer.ts";

const secret = (name: string) => `${name}-${randomBytes(9).toString("hex")}`;
const SECRETS = {
  redisPassword: secret("redis-pw"),
  httpToken: secret("http-token"),
  webhookPassword: secret("hook-pw"),
  webhookToken: secret("hook-token"),
  kakaoClientSecret: secret("kakao-secret"),
  postgresPassword: secret("pg-pw"),
  ollamaPassword: secret("ollama-pw"),
};
const namespace = `test-${randomUUID()}`;

let redis: PrivateRedis;
let discord: DiscordStandIn;
let discordHook: DiscordWebhookStandIn;
let kakaowork: KakaoWorkStandIn;
let kakao: KakaoStandIn;
let hostile: StandInServer;
const hostileGot: { authorization: string | undefined; url: string | undefined; body: string }[] = [];
let dataDir: string;
let elsewhere: string;
let troupe: TroupeProcess;

beforeAll(async () => {
  redis = await startPrivateRedis({ password: SECRETS.redisPassword });
  discord = await startDiscordStandIn({ channels: ["general"] });
  discordHook = await startDiscordWebhookStandIn();
  kakaowork = await startKakaoWorkStandIn();
  kakao = await startKakaoStandIn();
  // A receiver that refuses every alert, echoing the address and credentials it was sent.
  hostile = await startStandInServer((request, response, body) => {
    hostileGot.push({ authorization: request.headers.authorization, url: request.url, body });
    sendJson(response, 400, { error: `refused ${request.url} (${request.headers.authorization})` });
  });
  dataDir = mkdtempSync(join(tmpdir(), "troupe-secrets-data-"));
  elsewhere = mkdtempSync(join(tmpdir(), "troupe-secrets-"));
}, 30_000);

afterAll(async () => {
  if (troupe && troupe.child.exitCode === null && troupe.child.signalCode === null)
    troupe.child.kill("SIGKILL");
  await troupe?.exited;
  for (const server of [discord, discordHook, kakaowork, kakao, hostile]) await server?.close();
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

/** Every string value of every key of the namespace, as `key → text`. */
const redisContents = async (client: Redis): Promise<Map<string, string>> => {
  const out = new Map<string, string>();
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `troupe:${namespace}:*`, "COUNT", 500);
    cursor = next;
    for (const key of keys) {
      const type = await client.type(key);
      const read: Record<string, () => Promise<unknown>> = {
        string: () => client.get(key),
        hash: () => client.hgetall(key),
        list: () => client.lrange(key, 0, -1),
        set: () => client.smembers(key),
        zset: () => client.zrange(key, "0", "-1", "WITHSCORES"),
        stream: () => client.xrange(key, "-", "+"),
      };
      const value = await (read[type] ?? (async () => `(${type})`))();
      out.set(key, JSON.stringify(value));
    }
  } while (cursor !== "0");
  return out;
};

/** Every file under `dir`, as `path → text`. */
const filesUnder = (dir: string): Map<string, string> =>
  new Map(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => {
        const path = join(entry.parentPath, entry.name);
        return [path, readFileSync(path).toString("latin1")];
      }),
  );

/** The forms a secret may take in text: as is, percent-encoded, and a Basic credential with it. */
const formsOf = (value: string) => [value, encodeURIComponent(value)];

const get = async (url: string, init: RequestInit = {}, until?: string): Promise<string> => {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  if (!until) return response.text();
  const reader = response.body!.getReader();
  let text = "";
  const decoder = new TextDecoder();
  while (!text.includes(until)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return text;
};

describe("secrets configured for troupe start", () => {
  it("appear in no output of a run that uses and fails every one of them", async () => {
    const kakaoTokens = kakao.issue();
    const tokenFile = join(elsewhere, "kakao-tokens.json");
    writeFileSync(tokenFile, JSON.stringify(kakaoTokens), { mode: 0o600 });
    const webhookUrl = `${hostile.url.replace("://", `://ops:${SECRETS.webhookPassword}@`)}/alerts?token=${SECRETS.webhookToken}`;
    troupe = spawnTroupe(["start"], {
      ...discord.hostEnv(),
      DISCORD_CHANNELS: "general",
      REDIS_URL: redis.url,
      TROUPE_NAMESPACE: namespace,
      TROUPE_CONSUMER: "secrets-host",
      TROUPE_DATA_DIR: dataDir,
      TROUPE_HTTP_TOKEN: SECRETS.httpToken,
      TROUPE_NOTIFY_WEBHOOK_URL: webhookUrl,
      TROUPE_NOTIFY_DISCORD_WEBHOOK: discordHook.webhookUrl,
      TROUPE_NOTIFY_KAKAOWORK_APP_KEY: kakaowork.appKey,
      TROUPE_NOTIFY_KAKAOWORK_CONVERSATION: kakaowork.conversationId,
      KAKAOWORK_API_URL: kakaowork.url,
      KAKAO_REST_API_KEY: kakao.restApiKey,
      KAKAO_CLIENT_SECRET: SECRETS.kakaoClientSecret,
      KAKAO_API_URL: kakao.url,
      KAKAO_AUTH_URL: kakao.url,
      KAKAO_TOKEN_FILE: tokenFile,
      TROUPE_NOTIFY_ORDER: "webhook,discord,kakaowork,kakao,file",
      // A configuration problem: said once as an alert, through the webhook first.
      TROUPE_QUIET_HOURS: "nowhere=22:00-07:00",
      TROUPE_MEMORY_POSTGRES_URL: `postgres://troupe:${SECRETS.postgresPassword}@127.0.0.1:1/troupe`,
      OLLAMA_HOST: `http://ollama:${SECRETS.ollamaPassword}@127.0.0.1:1`,
      TROUPE_AGENTS: "research",
      TROUPE_MAX_ATTEMPTS: "1", // the model is down: fail the task at once, not after retries
    });
    const listening = await troupe.log("http listening");
    await troupe.log("discord surface started");
    const http = String(listening.url);

    // A task that works, and one that fails on the Ollama URL (its error is recorded, then retried).
    const hello = discord.say("general", "hello from a person");
    await discord.reactionAdded(hello.id, "✅");
    const research = discord.say("general", "@research my api key is sk-live-0123456789abcdef");
    await discord.reactionAdded(research.id, "❌");

    // The configuration alert met the echoing webhook first: a dead letter, then Discord.
    await expect.poll(() => discordHook.messages.length, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(hostileGot[0]).toMatchObject({
      authorization: `Basic ${Buffer.from(`ops:${SECRETS.webhookPassword}`).toString("base64")}`,
      url: `/alerts?token=${SECRETS.webhookToken}`,
    });

    // A critical alert from another host goes to every sink (Kakao refreshes its token on the way);
    // the webhook refuses it, and a notice saying so goes to Discord.
    kakao.revokeAccessTokens();
    kakao.refreshMode = "rotate";
    const publisher = new Redis(redis.url);
    const bus = new EventBus();
    const mirror = mirrorEvents({ bus, redis: publisher, namespace, direction: "publish" });
    await mirror.ready(AbortSignal.timeout(5_000));
    const raise = () =>
      bus.publish({
        type: "alert.raised",
        alertId: "disk-critical",
        severity: "critical",
        source: "system-monitor",
        title: "disk almost full",
        text: "93% used",
      });
    const again = setInterval(raise, 100);
    raise();
    try {
      await expect.poll(() => kakao.memos.length, { timeout: 15_000 }).toBeGreaterThan(0);
      await expect.poll(() => kakaowork.messages.length, { timeout: 15_000 }).toBeGreaterThan(0);
      await expect
        .poll(
          () => discordHook.messages.some((message) => message.content.includes("not delivered to webhook")),
          {
            timeout: 15_000,
          },
        )
        .toBe(true);
    } finally {
      clearInterval(again);
      await mirror.close();
      await publisher.quit();
    }
    expect(kakao.refreshes).toBeGreaterThan(0);

    const served = {
      metrics: await get(`${http}/metrics`),
      healthz: await get(`${http}/healthz`),
      inspect: await get(
        `${http}/inspect/api/stream`,
        { headers: { authorization: `Bearer ${SECRETS.httpToken}` } },
        "event: ready",
      ),
    };
    expect(served.inspect).toContain("sk-live-0123456789abcdef");

    troupe.child.kill("SIGTERM");
    await troupe.exited;

    const admin = new Redis(redis.url);
    const stored = await redisContents(admin).finally(() => admin.quit());
    // The run did record what failed: the task's error and the webhook's dead letter.
    const everything = [...stored.values()].join("\n");
    expect(everything).toContain("ModelUnavailable");
    expect(everything).toContain("the webhook answered 400");

    const kakaoTokenKey = `troupe:${namespace}:outbox:kakao:tokens`;
    const kakaoSecrets = [
      kakaoTokens.access_token,
      kakaoTokens.refresh_token,
      ...kakao.refreshTokens,
      ...kakao.memos.map((memo) => memo.accessToken),
    ];
    const configured = [
      ...Object.values(SECRETS),
      Buffer.from(`ops:${SECRETS.webhookPassword}`).toString("base64"),
      discord.token,
      discordHook.webhookUrl.split("/").at(-1)!,
      kakaowork.appKey,
      kakao.restApiKey,
    ];
    const outputs = new Map<string, string>([
      ["stdout", troupe.stdout.join("\n")],
      ["stderr", troupe.stderr.join("\n")],
      ...[...filesUnder(dataDir)].map(([path, text]) => [`file ${path}`, text] as [string, string]),
      ...[...stored].map(([key, text]) => [`redis ${key}`, `${key} ${text}`] as [string, string]),
      ["/metrics", served.metrics],
      ["/healthz", served.healthz],
      ["/inspect stream", served.inspect],
      ["discord stand-in", JSON.stringify([...discord.messages.values(), ...discord.threads.values()])],
      ["discord webhook", JSON.stringify(discordHook.messages)],
      ["kakaowork", JSON.stringify(kakaowork.messages)],
      ["kakao memos", JSON.stringify(kakao.memos.map((memo) => memo.text))],
      ["webhook bodies", JSON.stringify(hostileGot.map((got) => got.body))],
    ]);
    expect(outputs.get("stderr")).not.toBe("");
    expect([...outputs.keys()].some((name) => name.startsWith("file ") && name.endsWith(".json"))).toBe(true);
    const found: string[] = [];
    for (const [where, text] of outputs) {
      for (const value of configured)
        for (const form of formsOf(value)) if (text.includes(form)) found.push(`${where}: ${form}`);
      if (where === `redis ${kakaoTokenKey}`) continue;
      for (const value of kakaoSecrets) if (text.includes(value)) found.push(`${where}: a Kakao token`);
    }
    expect(found).toEqual([]);
  }, 90_000);
});
