// outbox-throughput: alerts a second through the notifier's durable outbox on the embedded SQLite
// store — a burst of `alert.raised` events on the bus → notify (each alert and its delivery stored
// before any send; a burst raised in one turn is stored in one transaction) → claim → a fast
// in-process stand-in sink → settle as sent — compared with raw node:sqlite writing the same two
// rows per alert, one transaction per alert (each alert made durable on its own), on a file of its
// own in the same run. The figure is the outbox fed one awaited alert at a time (one commit per
// alert on both sides); the progress line also gives a burst, which the outbox stores together.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { EventBus } from "@troupe/runtime";
import { Notifier, type Sink } from "@troupe/runtime/notify";
import { openSqliteOutboxStore } from "@troupe/runtime/sqlite";
import { type Figure, figure, median, progress, timeMs } from "./measure.ts";

const ALERTS = 3_000;
const ROUNDS = 5;

const alertOf = (round: number, index: number) => ({
  alertId: `bench-${round}-${index}`,
  severity: "warning" as const,
  source: "bench",
  title: `alert ${index}`,
  text: `load ${index % 7} per CPU is above 1.00 — 한국어 🚨`,
});

/** The baseline: the same rows the outbox writes when it takes an alert, written by hand. */
const rawWrites = (path: string, round: number): number => {
  const db = new DatabaseSync(path, { timeout: 5_000 });
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  db.exec(`CREATE TABLE IF NOT EXISTS alerts (id TEXT PRIMARY KEY, alert TEXT NOT NULL, at INTEGER NOT NULL) STRICT;
    CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, alert_id TEXT NOT NULL, sink TEXT NOT NULL, severity TEXT NOT NULL,
      title TEXT NOT NULL, body TEXT NOT NULL, chunk INTEGER NOT NULL, chunks INTEGER NOT NULL, status TEXT NOT NULL,
      due_at INTEGER NOT NULL, eligible_at INTEGER NOT NULL, created_at INTEGER NOT NULL) STRICT;`);
  const addAlert = db.prepare("INSERT OR IGNORE INTO alerts (id, alert, at) VALUES (?, ?, ?)");
  const addDelivery = db.prepare(
    "INSERT OR IGNORE INTO deliveries (id, alert_id, sink, severity, title, body, chunk, chunks, status, due_at, eligible_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 1, 1, 'pending', ?, ?, ?)",
  );
  const startedAt = performance.now();
  for (let index = 0; index < ALERTS; index += 1) {
    const alert = alertOf(round, index);
    const now = Date.now();
    db.exec("BEGIN IMMEDIATE");
    addAlert.run(alert.alertId, JSON.stringify({ ...alert, at: now }), now);
    addDelivery.run(
      `${alert.alertId}/fast/1`,
      alert.alertId,
      "fast",
      alert.severity,
      alert.title,
      `[WARNING] ${alert.title}\n${alert.text}`,
      now,
      now,
      now,
    );
    db.exec("COMMIT");
  }
  const ms = performance.now() - startedAt;
  db.close();
  return ms;
};

const throughOutbox = async (path: string, round: number, mode: "burst" | "one-by-one"): Promise<number> => {
  const store = openSqliteOutboxStore({ path });
  let sent = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const sink: Sink = {
    name: "fast",
    format: { maxLength: 2_000, style: "plain" },
    send: async () => ({ kind: "ok" }),
  };
  const notifier = new Notifier({ store, sinks: [sink], consumer: "bench", claimBatch: 64 });
  notifier.observe((event) => {
    if (event.type !== "sent") return;
    sent += event.ids.length;
    if (sent >= ALERTS) done();
  });
  const bus = new EventBus();
  notifier.attach(bus);
  await notifier.start();
  const ms = await timeMs(async () => {
    if (mode === "burst")
      for (let index = 0; index < ALERTS; index += 1)
        bus.publish({ type: "alert.raised", ...alertOf(round, index) });
    else for (let index = 0; index < ALERTS; index += 1) await notifier.notify(alertOf(round, index));
    await all;
  });
  await notifier.stop();
  await store.close();
  return ms;
};

export const outboxThroughput = async (): Promise<Figure> => {
  const dir = mkdtempSync(join(tmpdir(), "troupe-bench-outbox-"));
  try {
    const raw: number[] = [];
    const burst: number[] = [];
    const oneByOne: number[] = [];
    rawWrites(join(dir, "warm-raw.sqlite"), 0);
    await throughOutbox(join(dir, "warm-outbox.sqlite"), 0, "burst");
    for (let round = 1; round <= ROUNDS; round += 1) {
      raw.push(ALERTS / (rawWrites(join(dir, `raw-${round}.sqlite`), round) / 1_000));
      burst.push(
        ALERTS / ((await throughOutbox(join(dir, `burst-${round}.sqlite`), round, "burst")) / 1_000),
      );
      oneByOne.push(
        ALERTS / ((await throughOutbox(join(dir, `one-${round}.sqlite`), round, "one-by-one")) / 1_000),
      );
    }
    progress(
      `outbox-throughput: raw SQLite writes of the same rows ${Math.round(median(raw))} alerts/s; outbox (stored, claimed, sent, settled) ${Math.round(median(burst))}/s for a burst on the bus (ratio ${(median(burst) / median(raw)).toFixed(2)}), ${Math.round(median(oneByOne))}/s one awaited notify at a time (ratio ${(median(oneByOne) / median(raw)).toFixed(2)})`,
    );
    // The figure: one alert at a time, one commit each on both sides (bursts are cheaper, see above).
    return figure("outbox-throughput", median(oneByOne) / median(raw), { atLeast: 0.5 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
