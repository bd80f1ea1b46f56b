// Prometheus metrics of the notifier and of the durable work queue, on the host's registry: what
// was enqueued, sent and failed per sink (RED), the outbox's depth and oldest pending age, dead
// letters, breakers and holds per sink, the Kakao tokens' expiry, and the work queue's tasks by
// state and oldest age (USE). Labels are bounded: sink names from the configuration, a fixed set
// of reasons and states. Gauges read the outbox and the queue at scrape time, once per scrape.

import type { QueueStats } from "../durable/WorkQueue.ts";
import type { FailureReason, Notifier, NotifierStatus } from "../notify/Notifier.ts";
import type { KakaoTokens } from "../notify/OutboxStore.ts";
import { Counter, Gauge, Histogram, type Registry } from "./promClient.ts";
import { breakerStateValue } from "./RuntimeMetrics.ts";

export const FAILURE_REASONS: readonly FailureReason[] = [
  "unavailable",
  "rate_limited",
  "timeout",
  "rejected",
  "auth",
  "error",
];

// Seconds, from a local file drop to a slow chat API.
const SEND_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15];

/** Run `read` at most once per scrape: the gauges of one scrape (collected together) share it. */
const perScrape = <T>(read: () => Promise<T>) => {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= read().finally(() => {
      setImmediate(() => {
        pending = undefined;
      });
    });
    return pending;
  };
};

export interface NotifierMetricsOptions {
  readonly registry: Registry;
  readonly notifier: Notifier;
  /** The Kakao sinks' current tokens, by sink name (for the expiry gauges). */
  readonly kakaoTokens?: () => Readonly<Record<string, KakaoTokens | undefined>>;
  readonly prefix?: string;
}

/** Count what the notifier does; `close()` stops observing it. */
export const createNotifierMetrics = (options: NotifierMetricsOptions): { close(): void } => {
  const { registry, notifier } = options;
  const prefix = options.prefix ?? "troupe_";
  const registers = [registry];
  const sinks = notifier.sinkNames;
  const status = perScrape<NotifierStatus>(() => notifier.status());

  const enqueued = new Counter({
    name: `${prefix}notifier_enqueued_total`,
    help: "Alert deliveries (one per alert, sink and chunk) written to the outbox, by sink.",
    labelNames: ["sink"] as const,
    registers,
  });
  const sent = new Counter({
    name: `${prefix}notifier_sent_total`,
    help: "Deliveries a sink accepted (recorded as sent in the outbox), by sink.",
    labelNames: ["sink"] as const,
    registers,
  });
  const failed = new Counter({
    name: `${prefix}notifier_failed_total`,
    help: "Failed sends by sink and reason (unavailable, rate_limited, timeout, rejected, auth, error); quota parks are not failures.",
    labelNames: ["sink", "reason"] as const,
    registers,
  });
  const dead = new Counter({
    name: `${prefix}notifier_dead_letters_total`,
    help: "Deliveries moved to the dead letters after the attempt budget or a permanent refusal, by sink.",
    labelNames: ["sink"] as const,
    registers,
  });
  const failovers = new Counter({
    name: `${prefix}notifier_failovers_total`,
    help: "Alerts routed to the next sink because a sink failed for good or stayed down, by the sink given up on.",
    labelNames: ["sink"] as const,
    registers,
  });
  const duration = new Histogram({
    name: `${prefix}notifier_send_duration_seconds`,
    help: "Time of a successful send to a sink, by sink.",
    labelNames: ["sink"] as const,
    buckets: SEND_BUCKETS,
    registers,
  });
  new Gauge({
    name: `${prefix}outbox_depth`,
    help: "Deliveries waiting in the outbox (pending, including held and retrying ones), by sink.",
    labelNames: ["sink"] as const,
    registers,
    async collect() {
      const { sinks: rows } = await status();
      for (const row of rows) this.set({ sink: row.name }, row.pending);
    },
  });
  new Gauge({
    name: `${prefix}outbox_oldest_pending_age_seconds`,
    help: "Age of the oldest delivery still waiting in the outbox, by sink (0 when none waits).",
    labelNames: ["sink"] as const,
    registers,
    async collect() {
      const { sinks: rows } = await status();
      for (const row of rows) this.set({ sink: row.name }, (row.oldestPendingMs ?? 0) / 1_000);
    },
  });
  new Gauge({
    name: `${prefix}outbox_dead_letters`,
    help: "Dead letters kept in the outbox (deliveries given up on; shown in /status).",
    registers,
    async collect() {
      this.set((await status()).dead);
    },
  });
  new Gauge({
    name: `${prefix}notifier_breaker_state`,
    help: "Circuit breaker of a sink: 0 closed, 1 half-open, 2 open.",
    labelNames: ["sink"] as const,
    registers,
    async collect() {
      for (const row of (await status()).sinks) this.set({ sink: row.name }, breakerStateValue[row.breaker]);
    },
  });
  new Gauge({
    name: `${prefix}notifier_sink_held`,
    help: "1 while a sink's queue is held: reason reauth (a person must log in again) or quota (until the quota resets).",
    labelNames: ["sink", "reason"] as const,
    registers,
    async collect() {
      for (const row of (await status()).sinks)
        for (const reason of ["reauth", "quota"] as const)
          this.set({ sink: row.name, reason }, row.hold?.reason === reason ? 1 : 0);
    },
  });
  if (options.kakaoTokens) {
    const tokens = options.kakaoTokens;
    new Gauge({
      name: `${prefix}kakao_token_expiry_timestamp_seconds`,
      help: "When a Kakao sink's token expires (Unix time), by sink and token (access, refresh).",
      labelNames: ["sink", "token"] as const,
      registers,
      collect() {
        this.reset();
        for (const [sink, current] of Object.entries(tokens())) {
          if (!current) continue;
          this.set({ sink, token: "access" }, current.accessExpiresAt / 1_000);
          if (current.refreshExpiresAt !== null)
            this.set({ sink, token: "refresh" }, current.refreshExpiresAt / 1_000);
        }
      },
    });
  }

  // Every series from zero, so rate() sees the first increment and the dashboard every sink.
  for (const sink of sinks) {
    enqueued.inc({ sink }, 0);
    sent.inc({ sink }, 0);
    dead.inc({ sink }, 0);
    failovers.inc({ sink }, 0);
    for (const reason of FAILURE_REASONS) failed.inc({ sink, reason }, 0);
  }

  const stop = notifier.observe((event) => {
    switch (event.type) {
      case "enqueued":
        enqueued.inc({ sink: event.sink }, event.count);
        return;
      case "sent":
        sent.inc({ sink: event.sink }, event.ids.length);
        duration.observe({ sink: event.sink }, event.durationMs / 1_000);
        return;
      case "failed":
        failed.inc({ sink: event.sink, reason: event.reason }, event.ids.length);
        return;
      case "dead":
        dead.inc({ sink: event.sink });
        return;
      case "failover":
        failovers.inc({ sink: event.from });
        return;
      default:
        return;
    }
  });
  return { close: () => void stop() };
};

/** The durable work queue's backlog at scrape time: tasks by state, the oldest unfinished task's age. */
export const createWorkQueueMetrics = (options: {
  readonly registry: Registry;
  readonly stats: () => Promise<QueueStats>;
  readonly prefix?: string;
}): void => {
  const prefix = options.prefix ?? "troupe_";
  const registers = [options.registry];
  const stats = perScrape(options.stats);
  new Gauge({
    name: `${prefix}work_queue_tasks`,
    help: "Tasks in the durable work queue by state (ready, leased, delayed, dead).",
    labelNames: ["state"] as const,
    registers,
    async collect() {
      const current = await stats();
      for (const state of ["ready", "leased", "delayed", "dead"] as const)
        this.set({ state }, current[state]);
    },
  });
  new Gauge({
    name: `${prefix}work_queue_oldest_task_age_seconds`,
    help: "Age of the oldest unfinished task in the durable work queue (0 when there is none).",
    registers,
    async collect() {
      this.set(((await stats()).oldestAgeMs ?? 0) / 1_000);
    },
  });
};
