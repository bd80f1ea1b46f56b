// The KakaoTalk memo sink against the Kakao stand-in (kauth + kapi on 127.0.0.1), through the
// real HTTP path: one refresh for ten concurrent sends that meet -401 (in one process, and across
// two "processes" sharing Redis), refresh-token rotation kept in the store, KOE322 holding the
// queue and alerting on Discord until someone logs in again, a quota error parking the queue
// without a failure, the first login's code exchange, and a malformed token file.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createDiscordWebhookSink,
  createKakaoMemoSink,
  exchangeKakaoCode,
  type KakaoTokenStore,
  kakaoAuthorizeUrl,
  MemoryOutboxStore,
  Notifier,
  type NotifierEvent,
  type OutboundMessage,
  readKakaoTokenFile,
} from "@troupe/runtime/notify";
import { deleteNamespace, RedisOutboxStore } from "@troupe/runtime/redis";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DiscordWebhookStandIn, startDiscordWebhookStandIn } from "../harness/discordWebhookStandIn.ts";
import { type KakaoStandIn, startKakaoStandIn } from "../harness/kakaoStandIn.ts";

let kakao: KakaoStandIn;
let discord: DiscordWebhookStandIn;
const closers: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  kakao = await startKakaoStandIn();
  discord = await startDiscordWebhookStandIn();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await kakao.close();
  await discord.close();
});

const message = (index: number): OutboundMessage => ({
  id: `a-${index}/kakao/1`,
  alertId: `a-${index}`,
  severity: "warning",
  title: `경고 ${index}`,
  text: `[WARNING] 경고 ${index} 🚨`,
  chunk: 1,
  chunks: 1,
});

/** Tokens as a first login stored them, with the access token already revoked by Kakao. */
const loggedIn = async (store: KakaoTokenStore) => {
  const answer = kakao.issue();
  await store.saveTokens("kakao", {
    accessToken: answer.access_token,
    refreshToken: answer.refresh_token,
    accessExpiresAt: Date.now() + 3_600_000,
    refreshExpiresAt: Date.now() + answer.refresh_token_expires_in * 1_000,
    updatedAt: Date.now(),
  });
  return answer;
};

const sinkOn = (store: KakaoTokenStore) =>
  createKakaoMemoSink({ restApiKey: kakao.restApiKey, store, apiUrl: kakao.url, authUrl: kakao.url });

describe("KakaoTalk memo sink", () => {
  it("refreshes exactly once for ten concurrent sends that meet -401", async () => {
    const store = new MemoryOutboxStore();
    await loggedIn(store);
    kakao.revokeAccessTokens();
    const sink = sinkOn(store);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) => sink.send(message(index), AbortSignal.timeout(10_000))),
    );
    expect(results).toEqual(Array.from({ length: 10 }, () => ({ kind: "ok" })));
    expect(kakao.refreshes).toBe(1);
    expect(kakao.memos).toHaveLength(10);
    expect(new Set(kakao.memos.map((memo) => memo.accessToken)).size).toBeGreaterThanOrEqual(1);
  });

  it("refreshes once across two processes sharing Redis (the Redis refresh lock)", async () => {
    const namespace = `test-${randomUUID()}`;
    const admin = new Redis("redis://127.0.0.1:6379");
    const first = new RedisOutboxStore({ redis: "redis://127.0.0.1:6379", namespace });
    const second = new RedisOutboxStore({ redis: "redis://127.0.0.1:6379", namespace });
    closers.push(async () => {
      await first.close();
      await second.close();
      await deleteNamespace(admin, namespace);
      await admin.quit();
    });
    await loggedIn(first);
    kakao.revokeAccessTokens();
    const [a, b] = [sinkOn(first), sinkOn(second)];
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        (index % 2 === 0 ? a : b).send(message(index), AbortSignal.timeout(10_000)),
      ),
    );
    expect(results.every((result) => result.kind === "ok")).toBe(true);
    expect(kakao.refreshes).toBe(1);
  });

  it("keeps a rotated refresh token in the store, and the old one when Kakao sends none", async () => {
    const store = new MemoryOutboxStore();
    const first = await loggedIn(store);
    const sink = sinkOn(store);
    kakao.refreshMode = "rotate";
    kakao.revokeAccessTokens();
    expect(await sink.send(message(1), AbortSignal.timeout(10_000))).toEqual({ kind: "ok" });
    const rotated = await store.loadTokens("kakao");
    expect(rotated!.refreshToken).not.toBe(first.refresh_token);
    expect(kakao.refreshTokens.has(rotated!.refreshToken)).toBe(true);
    // A restarted process reads the rotated token from the store and can refresh with it.
    kakao.refreshMode = "keep";
    kakao.revokeAccessTokens();
    expect(await sinkOn(store).send(message(2), AbortSignal.timeout(10_000))).toEqual({ kind: "ok" });
    expect((await store.loadTokens("kakao"))!.refreshToken).toBe(rotated!.refreshToken);
    expect(kakao.refreshes).toBe(2);
  });

  it("reads -402 (consent missing) as needing re-authorisation and warns when the login has under 7 days left", async () => {
    const store = new MemoryOutboxStore();
    const answer = await loggedIn(store);
    const warnings: number[] = [];
    await store.saveTokens("kakao", {
      ...(await store.loadTokens("kakao"))!,
      refreshExpiresAt: Date.now() + 3 * 86_400_000 + 60_000,
    });
    const sink = createKakaoMemoSink({
      restApiKey: kakao.restApiKey,
      store,
      apiUrl: kakao.url,
      authUrl: kakao.url,
      onRefreshExpiring: (daysLeft) => warnings.push(daysLeft),
    });
    kakao.memoErrors.push({ status: 403, code: -402, msg: "insufficient scopes" });
    expect(await sink.send(message(1), AbortSignal.timeout(10_000))).toEqual({
      kind: "auth_expired",
      reason: "Kakao answered 403 (-402): insufficient scopes: the talk_message consent is missing",
    });
    expect(warnings).toEqual([3]);
    expect(answer.refresh_token).toBe((await store.loadTokens("kakao"))!.refreshToken);
    expect(await sink.reauthorised!()).toBe(false);
    await loggedIn(store); // a new login
    expect(await sink.reauthorised!()).toBe(true);
  });

  it("exchanges the first login's code for tokens (troupe kakao login's last step)", async () => {
    const redirectUri = "http://127.0.0.1:9/callback";
    const authorize = kakaoAuthorizeUrl({ restApiKey: kakao.restApiKey, redirectUri, authUrl: kakao.url });
    expect(authorize).toBe(
      `${kakao.url}/oauth/authorize?client_id=${kakao.restApiKey}&redirect_uri=${encodeURIComponent(redirectUri)}&response_type=code&scope=talk_message`,
    );
    const redirected = await fetch(authorize, { redirect: "manual" });
    const code = new URL(redirected.headers.get("location")!).searchParams.get("code")!;
    const tokens = await exchangeKakaoCode({
      restApiKey: kakao.restApiKey,
      redirectUri,
      authUrl: kakao.url,
      code,
    });
    expect(tokens.accessToken).toMatch(/^access-/);
    await expect(
      exchangeKakaoCode({ restApiKey: kakao.restApiKey, redirectUri, authUrl: kakao.url, code }),
    ).rejects.toThrow(/Kakao refused the authorisation code \(400: KOE320 invalid_grant/);
  });

  it("reads a token file, and names the file when it is malformed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "troupe-kakao-"));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const good = join(dir, "tokens.json");
    writeFileSync(
      good,
      JSON.stringify({
        access_token: "A",
        refresh_token: "R",
        expires_in: 60,
        refresh_token_expires_in: 86_400,
      }),
    );
    expect(await readKakaoTokenFile(good)).toMatchObject({ accessToken: "A", refreshToken: "R" });
    const broken = join(dir, "broken.json");
    writeFileSync(broken, '{"access_token": "A", ');
    await expect(readKakaoTokenFile(broken)).rejects.toMatchObject({
      _tag: "InvalidTokenFile",
      reason: expect.stringContaining(`the Kakao token file ${broken} is not a JSON object of tokens`),
    });
    const missing = join(dir, "missing.json");
    writeFileSync(missing, JSON.stringify({ access_token: "A" }));
    await expect(readKakaoTokenFile(missing)).rejects.toThrow(
      `the Kakao token file ${missing} has no refresh_token`,
    );
  });
});

describe("KakaoTalk in the notifier", () => {
  const setUp = async () => {
    const store = new MemoryOutboxStore();
    const notifier = new Notifier({
      store,
      sinks: [sinkOn(store), createDiscordWebhookSink({ url: discord.webhookUrl })],
      pollEvery: 20,
      reauthCheckEvery: 20,
      failoverAfter: 60_000,
      backoff: { base: 5, max: 20 },
    });
    const events: NotifierEvent[] = [];
    notifier.observe((event) => events.push(event));
    await notifier.start();
    closers.push(() => notifier.stop());
    const until = (predicate: (event: NotifierEvent) => boolean) =>
      notifier.waitFor(predicate, AbortSignal.timeout(10_000));
    return { store, notifier, events, until };
  };

  it("holds the queue on KOE322, alerts on Discord, and delivers once someone logs in again", async () => {
    const { store, notifier, until } = await setUp();
    await loggedIn(store);
    kakao.revokeAccessTokens();
    kakao.refreshMode = "invalid_grant";
    const held = until((event) => event.type === "held");
    await notifier.notify({
      alertId: "k-1",
      severity: "critical",
      source: "test",
      title: "디스크",
      text: "디스크 93% 🚨",
    });
    await held;
    await discord.waitForMessages(2); // the alert itself (critical: every sink) and the notice
    expect(discord.messages.some((entry) => entry.content.includes("kakao needs re-authorisation"))).toBe(
      true,
    );
    expect((await store.stats(["kakao"])).sinks.kakao!.pending).toBe(1);
    expect(kakao.memos).toEqual([]);
    // `troupe kakao login` stores fresh tokens: the sink notices and sends what it held.
    kakao.refreshMode = "keep";
    const delivered = until((event) => event.type === "sent" && event.sink === "kakao");
    await loggedIn(store);
    await delivered;
    expect(kakao.memos.map((memo) => memo.text)).toEqual(["[CRITICAL] 디스크 (test)\n디스크 93% 🚨"]);
  });

  it("parks the queue on a quota error without counting a failure", async () => {
    const { store, notifier, until, events } = await setUp();
    await loggedIn(store);
    kakao.memoErrors.push({ status: 400, code: -532, msg: "daily message quota exceeded" });
    const parked = until((event) => event.type === "held");
    await notifier.notify({
      alertId: "q-1",
      severity: "critical",
      source: "test",
      title: "quota",
      text: "over quota",
    });
    const hold = (await parked) as Extract<NotifierEvent, { type: "held" }>;
    expect(hold.hold).toMatchObject({ reason: "quota", sink: "kakao" });
    expect(hold.hold.until).toBeGreaterThan(Date.now());
    expect(events.filter((event) => event.type === "failed")).toEqual([]);
    const [parkedDelivery] = await store.fallbackCandidates({
      dueBefore: Number.MAX_SAFE_INTEGER,
      down: [],
      limit: 10,
    });
    expect(parkedDelivery).toBeUndefined(); // critical: no fallback copies needed, every sink has it
    const stats = await store.stats(["kakao"]);
    expect(stats.sinks.kakao!.pending).toBe(1);
    expect(stats.dead).toBe(0);
  });
});
