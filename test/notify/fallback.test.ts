// Delivery over real HTTP to the stand-ins: while Discord is unreachable, warnings go to the
// fallback sinks (KakaoWork, then the file drop) and the Discord copies arrive once Discord is back;
// Discord's 429 is waited out; the generic webhook carries an Idempotency-Key; the file drop writes
// one file per message however often it is sent.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createDiscordWebhookSink,
  createFileDropSink,
  createKakaoWorkSink,
  createWebhookSink,
  MemoryOutboxStore,
  Notifier,
  type NotifierEvent,
} from "@troupe/runtime/notify";
import { afterEach, describe, expect, it } from "vitest";
import { startDiscordWebhookStandIn } from "../harness/discordWebhookStandIn.ts";
import { startKakaoWorkStandIn } from "../harness/kakaoWorkStandIn.ts";
import { sendJson, startStandInServer } from "../harness/standInServer.ts";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const message = {
  id: "m-1/webhook/1",
  alertId: "m-1",
  severity: "warning" as const,
  title: "t",
  text: "hello",
  chunk: 1,
  chunks: 1,
};

describe("delivery to the stand-ins", () => {
  it("falls back to KakaoWork while Discord is down, and the Discord copies arrive when it returns", async () => {
    const discord = await startDiscordWebhookStandIn();
    const kakaowork = await startKakaoWorkStandIn();
    const dir = mkdtempSync(join(tmpdir(), "troupe-drop-"));
    cleanups.push(
      () => discord.close(),
      () => kakaowork.close(),
      () => rmSync(dir, { recursive: true, force: true }),
    );
    discord.down = true;
    const notifier = new Notifier({
      store: new MemoryOutboxStore(),
      sinks: [
        createDiscordWebhookSink({ url: discord.webhookUrl }),
        createKakaoWorkSink({
          appKey: kakaowork.appKey,
          conversationId: kakaowork.conversationId,
          apiUrl: kakaowork.url,
        }),
        createFileDropSink({ dir }),
      ],
      pollEvery: 20,
      failoverAfter: 100,
      backoff: { base: 10, max: 50 },
      breaker: { maxFailures: 2, resetAfter: 100 },
      maxAttempts: 1_000,
    });
    const failovers: NotifierEvent[] = [];
    notifier.observe((event) => event.type === "failover" && failovers.push(event));
    await notifier.start();
    cleanups.push(() => notifier.stop());
    const sentTo = (sink: string, count: number) => {
      let seen = 0;
      return notifier.waitFor((event) => {
        if (event.type !== "sent" || event.sink !== sink) return false;
        seen += event.ids.length;
        return seen >= count;
      }, AbortSignal.timeout(15_000));
    };
    const onKakaoWork = sentTo("kakaowork", 5);
    for (let index = 0; index < 5; index += 1)
      await notifier.notify({
        alertId: `w-${index}`,
        severity: "warning",
        source: "test",
        title: `경고 ${index}`,
        text: `본문 ${index}`,
      });
    await onKakaoWork;
    expect(kakaowork.messages.map((entry) => entry.text.split("\n")[0]).sort()).toEqual(
      [0, 1, 2, 3, 4].map((index) => `[WARNING] 경고 ${index} (test)`),
    );
    expect(
      failovers.every(
        (event) => event.type === "failover" && event.from === "discord" && event.to === "kakaowork",
      ),
    ).toBe(true);
    expect(discord.messages).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);

    const onDiscord = sentTo("discord", 5);
    discord.down = false;
    await onDiscord; // recorded as sent in the outbox, not only received
    expect(discord.messages).toHaveLength(5);
    expect(discord.messages.map((entry) => entry.content.split("\n")[0]).sort()).toEqual(
      [0, 1, 2, 3, 4].map((index) => `⚠️ **경고 ${index}** (warning, test)`),
    );
    const status = await notifier.status();
    expect(status.sinks.map((sink) => [sink.name, sink.pending])).toEqual([
      ["discord", 0],
      ["kakaowork", 0],
      ["file", 0],
    ]);
  });

  it("waits out Discord's 429 for its retry_after and then delivers", async () => {
    const discord = await startDiscordWebhookStandIn();
    cleanups.push(() => discord.close());
    discord.rateLimit(1, 0.05);
    const sink = createDiscordWebhookSink({ url: discord.webhookUrl });
    expect(await sink.send({ ...message, text: "x" }, AbortSignal.timeout(5_000))).toEqual({
      kind: "retry",
      reason: "Discord rate limit",
      afterMs: 50,
    });
    expect(await sink.send({ ...message, text: "x" }, AbortSignal.timeout(5_000))).toEqual({ kind: "ok" });
    const wrong = createDiscordWebhookSink({ url: `${discord.url}/api/webhooks/1/nope` });
    expect(await wrong.send(message, AbortSignal.timeout(5_000))).toEqual({
      kind: "permanent",
      reason: "Discord answered 404: Unknown Webhook",
    });
  });

  it("gives the generic webhook an Idempotency-Key and reads its answers", async () => {
    const keys: string[] = [];
    let status = 200;
    const server = await startStandInServer((request, response) => {
      keys.push(String(request.headers["idempotency-key"]));
      sendJson(response, status, { ok: status === 200 }, status === 503 ? { "retry-after": "2" } : {});
    });
    cleanups.push(() => server.close());
    const sink = createWebhookSink({ url: `${server.url}/alerts` });
    expect(await sink.send(message, AbortSignal.timeout(5_000))).toEqual({ kind: "ok" });
    status = 503;
    expect(await sink.send(message, AbortSignal.timeout(5_000))).toMatchObject({
      kind: "retry",
      afterMs: 2_000,
    });
    status = 400;
    expect(await sink.send(message, AbortSignal.timeout(5_000))).toMatchObject({ kind: "permanent" });
    expect(keys).toEqual(["m-1/webhook/1", "m-1/webhook/1", "m-1/webhook/1"]);
    server.down = true;
    expect(await sink.send(message, AbortSignal.timeout(5_000))).toMatchObject({ kind: "retry" });
  });

  it("sends a URL's user:password as Basic authorization, and never records it or a ?token=", async () => {
    const seen: { authorization?: string; url?: string }[] = [];
    const server = await startStandInServer((request, response) => {
      seen.push({ authorization: request.headers.authorization, url: request.url });
      // A receiver that echoes what it got, as many error pages do.
      sendJson(response, 400, {
        error: `bad request to ${request.url} with ${request.headers.authorization}`,
      });
    });
    cleanups.push(() => server.close());
    const url = `${server.url.replace("://", "://ops:pa55-word@")}/alerts?token=t0ken-value`;
    const store = new MemoryOutboxStore();
    const dir = mkdtempSync(join(tmpdir(), "troupe-drop-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const notifier = new Notifier({
      store,
      sinks: [createWebhookSink({ url }), createFileDropSink({ name: "file", dir })],
      pollEvery: 20,
    });
    await notifier.start();
    cleanups.push(() => notifier.stop());
    const dead = notifier.waitFor((event) => event.type === "dead", AbortSignal.timeout(10_000));
    const notice = notifier.waitFor(
      (event) =>
        event.type === "sent" && event.sink === "file" && event.ids.some((id) => id.startsWith("notifier~")),
      AbortSignal.timeout(10_000),
    );
    await notifier.notify({ alertId: "cred-1", severity: "warning", source: "test", title: "t", text: "x" });
    await dead;
    await notice;
    expect(seen[0]).toEqual({
      authorization: `Basic ${Buffer.from("ops:pa55-word").toString("base64")}`,
      url: "/alerts?token=t0ken-value",
    });
    const recorded = JSON.stringify([
      await store.deadLetters(),
      readdirSync(dir).map((file) => readFileSync(join(dir, file), "utf8")),
    ]);
    expect(recorded).toContain("the webhook answered 400");
    for (const secret of ["pa55-word", "t0ken-value", Buffer.from("ops:pa55-word").toString("base64")])
      expect(recorded).not.toContain(secret);
  });

  it("drops one file per message, however often it is sent", async () => {
    const dir = mkdtempSync(join(tmpdir(), "troupe-drop-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const sink = createFileDropSink({ dir });
    await sink.send(message, AbortSignal.timeout(5_000));
    await sink.send(message, AbortSignal.timeout(5_000));
    expect(readdirSync(dir)).toEqual(["m-1%2Fwebhook%2F1.json"]);
    expect(JSON.parse(readFileSync(join(dir, "m-1%2Fwebhook%2F1.json"), "utf8"))).toMatchObject({
      text: "hello",
    });
  });
});
