// The notifier's and the work queue's metrics as Prometheus reads them: counters per sink and
// reason from zero, gauges of the outbox and the queue read at scrape time.
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { MemoryOutboxStore } from "../notify/MemoryOutboxStore.ts";
import { Notifier } from "../notify/Notifier.ts";
import type { Sink } from "../notify/Sink.ts";
import { createNotifierMetrics, createWorkQueueMetrics } from "./NotifierMetrics.ts";

describe("notifier metrics", () => {
  it("counts sends and failures per sink and reads the outbox at scrape time", async () => {
    let answer: "ok" | "retry" = "retry";
    const sink: Sink = {
      name: "discord",
      format: { maxLength: 2_000, style: "markdown" },
      send: async () => (answer === "ok" ? { kind: "ok" } : { kind: "retry", reason: "502" }),
    };
    const store = new MemoryOutboxStore();
    const notifier = new Notifier({ store, sinks: [sink], backoff: { base: 5, max: 5 }, pollEvery: 10 });
    const registry = new Registry();
    const now = Date.now();
    createNotifierMetrics({
      registry,
      notifier,
      kakaoTokens: () => ({
        kakao: {
          accessToken: "a",
          refreshToken: "r",
          accessExpiresAt: now + 60_000,
          refreshExpiresAt: now + 86_400_000,
          updatedAt: now,
        },
      }),
    });
    createWorkQueueMetrics({
      registry,
      stats: async () => ({ ready: 2, leased: 1, delayed: 0, dead: 3, oldestAgeMs: 1_500 }),
    });
    await notifier.start();
    const failed = notifier.waitFor((event) => event.type === "failed", AbortSignal.timeout(5_000));
    await notifier.notify({ alertId: "m-1", severity: "warning", source: "t", title: "t", text: "x" });
    await failed;
    const during = await registry.metrics();
    expect(during).toContain('troupe_notifier_failed_total{sink="discord",reason="unavailable"} 1');
    expect(during).toContain('troupe_notifier_failed_total{sink="discord",reason="auth"} 0');
    expect(during).toContain('troupe_outbox_depth{sink="discord"} 1');
    expect(during).toMatch(/troupe_outbox_oldest_pending_age_seconds\{sink="discord"\} \d/);
    expect(during).toContain('troupe_notifier_sink_held{sink="discord",reason="reauth"} 0');
    expect(during).toContain('troupe_kakao_token_expiry_timestamp_seconds{sink="kakao",token="refresh"}');
    expect(during).toContain('troupe_work_queue_tasks{state="dead"} 3');
    expect(during).toContain("troupe_work_queue_oldest_task_age_seconds 1.5");
    const sent = notifier.waitFor((event) => event.type === "sent", AbortSignal.timeout(5_000));
    answer = "ok";
    await sent;
    const after = await registry.metrics();
    expect(after).toContain('troupe_notifier_sent_total{sink="discord"} 1');
    expect(after).toContain('troupe_notifier_enqueued_total{sink="discord"} 1');
    expect(after).toContain('troupe_outbox_depth{sink="discord"} 0');
    expect(after).toContain('troupe_notifier_send_duration_seconds_count{sink="discord"} 1');
    await notifier.stop();
  });
});
