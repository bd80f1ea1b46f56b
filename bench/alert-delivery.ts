// alert-delivery-p99: how long an alert takes from `alert.raised` on the bus to the Discord
// webhook stand-in (HTTP on 127.0.0.1) receiving it, through the notifier and its SQLite outbox —
// written to the file before the send, claimed, posted, settled. One alert at a time, so each
// latency is the whole path; the p99 over all of them is the figure, in milliseconds (goal ≤ 50).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventBus } from "@troupe/runtime";
import { createDiscordWebhookSink, Notifier } from "@troupe/runtime/notify";
import { openSqliteOutboxStore } from "@troupe/runtime/sqlite";
import { startDiscordWebhookStandIn } from "../test/harness/discordWebhookStandIn.ts";
import { percentile, progress } from "./measure.ts";
import type { DifferenceFigure } from "./mirror-latency.ts";

const ALERTS = 500;
const WARM_UP = 50;
const GOAL_MS = 50;

export const alertDelivery = async (): Promise<DifferenceFigure> => {
  const dir = mkdtempSync(join(tmpdir(), "troupe-bench-delivery-"));
  const discord = await startDiscordWebhookStandIn();
  const store = openSqliteOutboxStore({ path: join(dir, "outbox.sqlite") });
  const bus = new EventBus();
  const notifier = new Notifier({
    store,
    sinks: [createDiscordWebhookSink({ url: discord.webhookUrl })],
    consumer: "bench",
  });
  notifier.attach(bus);
  await notifier.start();
  try {
    const latencies: number[] = [];
    for (let index = 0; index < WARM_UP + ALERTS; index += 1) {
      const arrived = discord.waitForMessages(index + 1);
      const raisedAt = performance.now();
      bus.publish({
        type: "alert.raised",
        alertId: `latency-${index}`,
        severity: "warning",
        source: "bench",
        title: `alert ${index}`,
        text: "disk 93% used on / — 디스크 🚨",
      });
      await arrived;
      if (index >= WARM_UP) latencies.push(performance.now() - raisedAt);
    }
    const p99 = percentile(latencies, 0.99);
    progress(
      `alert-delivery over ${latencies.length} alerts: p50 ${percentile(latencies, 0.5).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms (bus → SQLite outbox → Discord webhook stand-in)`,
    );
    return {
      name: "alert-delivery-p99",
      ratio: p99,
      goal: `≤ ${GOAL_MS} ms`,
      met: p99 <= GOAL_MS,
      unit: "ms",
    };
  } finally {
    await notifier.stop();
    await store.close();
    await discord.close();
    rmSync(dir, { recursive: true, force: true });
  }
};
