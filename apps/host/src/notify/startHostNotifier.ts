// The host's notifier: the outbox on the host's own store (the embedded SQLite file, or Redis
// shared by every host), the configured sinks in their fallback order, alerts taken from the bus
// (`alert.raised`, including other hosts' through the Redis mirror), and its metrics on the host's
// registry. A bad setting or a malformed Kakao token file is logged as one line naming it, and
// said once through the sinks that do work; nothing else stops.
import { createHash } from "node:crypto";
import type { EventBus, Logger } from "@troupe/runtime";
import { createNotifierMetrics } from "@troupe/runtime/metrics";
import {
  createDiscordWebhookSink,
  createFileDropSink,
  createKakaoMemoSink,
  createKakaoWorkSink,
  createWebhookSink,
  type KakaoMemoSink,
  type KakaoTokenStore,
  Notifier,
  type NotifierStatus,
  type OutboxStore,
  readKakaoTokenFile,
  type Sink,
} from "@troupe/runtime/notify";
import type { Registry } from "prom-client";
import type { NotifyConfig, SinkConfig } from "../config/notifyConfig.ts";
import type { HealthCheck } from "../health/HealthChecks.ts";
import type { HostStore } from "../start/hostStore.ts";
import { watchNotifierHealth } from "./notifierHealth.ts";

export interface HostNotifier {
  readonly notifier: Notifier;
  /** Settings that were refused (each names its variable or file). */
  readonly problems: readonly string[];
  /** Degraded while a sink's breaker is open or it is held. */
  readonly health: HealthCheck;
  status(): Promise<NotifierStatus>;
  close(): Promise<void>;
}

export interface HostNotifierOptions {
  readonly config: NotifyConfig;
  readonly store: HostStore;
  /** The SQLite file of the embedded store (unused on Redis). */
  readonly storePath: string | undefined;
  readonly namespace: string;
  readonly consumer: string;
  readonly bus: EventBus;
  readonly registry: Registry;
  readonly logger: Logger;
}

const KEEP_SENT_MS = 7 * 86_400_000;

const openOutbox = async (options: HostNotifierOptions): Promise<OutboxStore & KakaoTokenStore> => {
  if (options.store.kind === "redis" && options.store.redis) {
    const { RedisOutboxStore } = await import("@troupe/runtime/redis");
    return new RedisOutboxStore({ redis: options.store.redis, namespace: options.namespace });
  }
  const { openSqliteOutboxStore } = await import("@troupe/runtime/sqlite");
  if (!options.storePath) throw new Error("the embedded outbox needs the store file's path");
  return openSqliteOutboxStore({ path: options.storePath });
};

export const startHostNotifier = async (options: HostNotifierOptions): Promise<HostNotifier> => {
  const { config, logger } = options;
  const problems = [...config.problems];
  const outbox = await openOutbox(options);
  let notifier: Notifier | undefined;
  let kakao: KakaoMemoSink | undefined;

  const build = async (sink: SinkConfig): Promise<Sink> => {
    switch (sink.name) {
      case "discord":
        return createDiscordWebhookSink({ url: sink.url, username: "troupe" });
      case "kakaowork":
        return createKakaoWorkSink(sink);
      case "webhook":
        return createWebhookSink({ url: sink.url });
      case "file":
        return createFileDropSink({ dir: sink.dir });
      case "kakao": {
        const tokens = outbox;
        if (sink.tokenFile && !(await tokens.loadTokens("kakao"))) {
          try {
            await tokens.saveTokens("kakao", await readKakaoTokenFile(sink.tokenFile));
            logger.log("info", "kakao: tokens read from the token file into the store", {
              file: sink.tokenFile,
            });
          } catch (error) {
            problems.push(
              `KAKAO_TOKEN_FILE: ${(error as { reason?: string }).reason ?? (error as Error).message}`,
            );
          }
        }
        kakao = createKakaoMemoSink({
          ...sink,
          store: tokens,
          logger,
          onRefreshExpiring: (daysLeft) => {
            void notifier
              ?.notify({
                alertId: `notifier~kakao-expiring~${new Date().toISOString().slice(0, 10)}`,
                severity: "warning",
                source: "notifier",
                title: "KakaoTalk login expires soon",
                text: `The Kakao refresh token expires in ${daysLeft} day${daysLeft === 1 ? "" : "s"}. Run "troupe kakao login" before then, or KakaoTalk alerts will be held.`,
              })
              .catch(() => {});
          },
        });
        return kakao;
      }
    }
  };

  const sinks: Sink[] = [];
  for (const sink of config.sinks) {
    try {
      sinks.push(await build(sink));
    } catch (error) {
      problems.push(`${sink.name}: ${(error as { reason?: string }).reason ?? (error as Error).message}`);
    }
  }
  for (const problem of problems) logger.log("error", `notifier configuration: ${problem}`);

  notifier = new Notifier({
    store: outbox,
    sinks,
    logger,
    consumer: options.consumer,
    quietHours: config.quietHours,
    batch: Object.fromEntries(Object.entries(config.batchMs).map(([name, ms]) => [name, ms])),
  });
  const metrics = createNotifierMetrics({
    registry: options.registry,
    notifier,
    kakaoTokens: () => (kakao ? { [kakao.name]: kakao.auth.cached } : {}),
  });
  const detach = notifier.attach(options.bus);
  await notifier.start();
  const health = watchNotifierHealth(notifier, (await notifier.status()).sinks);
  if (kakao) await kakao.auth.load().catch(() => undefined);
  logger.log("info", "notifier started", { sinks: notifier.sinkNames, store: options.store.kind });
  if (problems.length > 0) {
    const digest = createHash("sha1").update(problems.join("\n")).digest("hex").slice(0, 12);
    await notifier
      .notify({
        alertId: `notifier~config~${digest}`,
        severity: "warning",
        source: "notifier",
        title: "Notifier configuration problems",
        text: problems.join("\n"),
      })
      .catch(() => {});
  }
  const pruner = setInterval(() => {
    outbox
      .prune(Date.now() - KEEP_SENT_MS)
      .catch((error: unknown) =>
        logger.log("warn", "notifier: pruning sent deliveries failed", { error: (error as Error).message }),
      );
  }, 3_600_000);
  pruner.unref();
  return {
    notifier,
    problems,
    health: health.check,
    status: () => notifier.status(),
    async close() {
      clearInterval(pruner);
      health.stop();
      detach();
      metrics.close();
      await notifier.stop();
      await outbox.close();
    },
  };
};
