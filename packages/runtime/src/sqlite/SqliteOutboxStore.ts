// The notifier's outbox in the embedded store: alerts, their deliveries, dead letters, sink holds
// and Kakao tokens in the same node:sqlite file as the work queue (WAL, busy timeout), so an alert
// written before any network call survives a crash of the process with nothing to set up. Every
// change is one IMMEDIATE transaction; claims carry a lease and a fence, so two processes on one
// file never send the same delivery at once, and a late settle from a lost lease is refused.
import { resolve } from "node:path";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Alert } from "../notify/Alert.ts";
import type {
  ClaimOptions,
  DeadDelivery,
  Delivery,
  KakaoTokenStore,
  KakaoTokens,
  NewDelivery,
  OutboxStats,
  OutboxStore,
  Settle,
  SinkBacklog,
  SinkHold,
} from "../notify/OutboxStore.ts";
import { dueAfter, wholeMillis } from "../time/wholeMillis.ts";
import { inTransaction, openStoreFile } from "./storeFile.ts";

export interface SqliteOutboxStoreOptions {
  /** The database file (usually the work queue's); its folder is created when missing. */
  readonly path: string;
  /** How long a write waits for another process's transaction (default 5 s). */
  readonly busyTimeoutMs?: number;
}

export interface SqliteOutboxStore extends OutboxStore, KakaoTokenStore {
  readonly path: string;
}

// Added beside the work queue's tables; CREATE IF NOT EXISTS keeps older files readable.
const TABLES = `
CREATE TABLE IF NOT EXISTS troupe_alerts (
  id            TEXT PRIMARY KEY,
  alert         TEXT NOT NULL,              -- the Alert, as JSON
  at            INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS troupe_deliveries (
  id            TEXT PRIMARY KEY,           -- <alertId>/<sink>/<chunk>
  alert_id      TEXT NOT NULL,
  sink          TEXT NOT NULL,
  severity      TEXT NOT NULL,
  title         TEXT NOT NULL,
  body          TEXT NOT NULL,              -- the rendered message
  chunk         INTEGER NOT NULL,
  chunks        INTEGER NOT NULL,
  link          TEXT,
  fallback      INTEGER NOT NULL,
  batch         INTEGER NOT NULL,
  status        TEXT NOT NULL,              -- pending | sent | dead
  due_at        INTEGER NOT NULL,
  eligible_at   INTEGER NOT NULL,           -- due time, or the end of the current lease
  created_at    INTEGER NOT NULL,
  failures      INTEGER NOT NULL DEFAULT 0,
  fence         INTEGER NOT NULL DEFAULT 0,
  failed_over   INTEGER NOT NULL DEFAULT 0,
  holder        TEXT,                       -- the consumer that claimed it last
  last_error    TEXT,
  ended_at      INTEGER
) STRICT;
-- A partial index: only pending deliveries are ever looked for, and sent ones pile up until pruned.
-- The fallback sweep reads the same index (every pending delivery; the backlog is small): a second
-- index cost every stored alert one more page written per commit. Files made before drop theirs.
-- An alert's deliveries are found by their id's prefix (<alertId>/…) on the primary key.
CREATE INDEX IF NOT EXISTS troupe_deliveries_claim ON troupe_deliveries (sink, eligible_at) WHERE status = 'pending';
DROP INDEX IF EXISTS troupe_deliveries_fallback;

CREATE TABLE IF NOT EXISTS troupe_delivery_dead (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL,
  alert_id      TEXT NOT NULL,
  sink          TEXT NOT NULL,
  severity      TEXT NOT NULL,
  title         TEXT NOT NULL,
  failures      INTEGER NOT NULL,
  error         TEXT NOT NULL,
  at            INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS troupe_sink_holds (
  sink          TEXT PRIMARY KEY,
  hold          TEXT NOT NULL               -- the SinkHold, as JSON
) STRICT;

CREATE TABLE IF NOT EXISTS troupe_kakao_tokens (
  sink          TEXT PRIMARY KEY,
  tokens        TEXT NOT NULL               -- both tokens and their expiries in one value
) STRICT;

CREATE TABLE IF NOT EXISTS troupe_locks (
  name          TEXT PRIMARY KEY,
  owner         TEXT NOT NULL,
  until         INTEGER NOT NULL
) STRICT;
`;

interface DeliveryRow {
  id: string;
  alert_id: string;
  sink: string;
  severity: Delivery["severity"];
  title: string;
  body: string;
  chunk: number;
  chunks: number;
  link: string | null;
  fallback: number;
  batch: number;
  due_at: number;
  created_at: number;
  failures: number;
  fence: number;
  failed_over: number;
  last_error: string | null;
}

const COLUMNS =
  "id, alert_id, sink, severity, title, body, chunk, chunks, link, fallback, batch, due_at, created_at, failures, fence, failed_over, last_error";

const toDelivery = (row: DeliveryRow): Delivery => ({
  id: row.id,
  alertId: row.alert_id,
  sink: row.sink,
  severity: row.severity,
  title: row.title,
  text: row.body,
  chunk: row.chunk,
  chunks: row.chunks,
  ...(row.link === null ? {} : { link: row.link }),
  fallback: row.fallback === 1,
  batch: row.batch === 1,
  dueAt: row.due_at,
  createdAt: row.created_at,
  failures: row.failures,
  fence: row.fence,
  failedOver: row.failed_over === 1,
  ...(row.last_error === null ? {} : { lastError: row.last_error }),
});

let lockOwners = 0;

class SqliteOutbox implements SqliteOutboxStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #sql: Record<string, StatementSync>;
  readonly #owner = `${process.pid}:${++lockOwners}:${Math.random().toString(36).slice(2)}`;

  constructor(options: SqliteOutboxStoreOptions) {
    this.path = resolve(options.path);
    this.#db = openStoreFile(this.path, { busyTimeoutMs: options.busyTimeoutMs });
    inTransaction(this.#db, () => this.#db.exec(TABLES));
    const db = this.#db;
    this.#sql = {
      addAlert: db.prepare("INSERT OR IGNORE INTO troupe_alerts (id, alert, at) VALUES (?, ?, ?)"),
      addDelivery: db.prepare(
        `INSERT OR IGNORE INTO troupe_deliveries (id, alert_id, sink, severity, title, body, chunk, chunks, link, fallback, batch, status, due_at, eligible_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
      ),
      alert: db.prepare("SELECT alert FROM troupe_alerts WHERE id = ?"),
      due: db.prepare(
        `SELECT ${COLUMNS} FROM troupe_deliveries WHERE sink = ? AND status = 'pending' AND eligible_at <= ?
         ORDER BY eligible_at, created_at, chunk LIMIT ?`,
      ),
      lease: db.prepare(
        "UPDATE troupe_deliveries SET fence = fence + 1, eligible_at = ?, holder = ? WHERE id = ? RETURNING fence",
      ),
      releaseHeld: db.prepare(
        "UPDATE troupe_deliveries SET eligible_at = ? WHERE holder = ? AND status = 'pending' AND eligible_at > ?",
      ),
      sent: db.prepare(
        "UPDATE troupe_deliveries SET status = 'sent', ended_at = ? WHERE id = ? AND status = 'pending' AND fence = ?",
      ),
      release: db.prepare(
        "UPDATE troupe_deliveries SET eligible_at = ? WHERE id = ? AND status = 'pending' AND fence = ?",
      ),
      retry: db.prepare(
        `UPDATE troupe_deliveries SET eligible_at = ?, failures = failures + 1, last_error = ?
         WHERE id = ? AND status = 'pending' AND fence = ?`,
      ),
      dead: db.prepare(
        `UPDATE troupe_deliveries SET status = 'dead', failures = failures + 1, last_error = ?, ended_at = ?
         WHERE id = ? AND status = 'pending' AND fence = ? RETURNING alert_id, sink, severity, title, failures`,
      ),
      addDead: db.prepare(
        "INSERT INTO troupe_delivery_dead (id, alert_id, sink, severity, title, failures, error, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      candidates: db.prepare(
        `SELECT ${COLUMNS} FROM troupe_deliveries INDEXED BY troupe_deliveries_claim
         WHERE status = 'pending' AND fallback = 1 AND failed_over = 0
         AND (due_at <= ? OR sink IN (SELECT value FROM json_each(?))) ORDER BY due_at LIMIT ?`,
      ),
      failedOver: db.prepare("UPDATE troupe_deliveries SET failed_over = 1 WHERE id = ?"),
      // '0' is the character after '/': the range is every id that starts with "<alertId>/" (on the
      // primary key); alert_id keeps out the deliveries of an alert whose id starts with "<alertId>/".
      sinksOf: db.prepare(
        "SELECT DISTINCT sink FROM troupe_deliveries WHERE id >= ? || '/' AND id < ? || '0' AND alert_id = ? ORDER BY sink",
      ),
      nextDue: db.prepare(
        "SELECT MIN(eligible_at) AS at FROM troupe_deliveries WHERE sink = ? AND status = 'pending'",
      ),
      deadLetters: db.prepare(
        "SELECT id, alert_id, sink, severity, title, failures, error, at FROM troupe_delivery_dead ORDER BY seq DESC LIMIT ?",
      ),
      backlog: db.prepare(
        "SELECT sink, COUNT(*) AS n, MIN(created_at) AS oldest FROM troupe_deliveries WHERE status = 'pending' GROUP BY sink",
      ),
      deadCount: db.prepare("SELECT COUNT(*) AS n FROM troupe_delivery_dead"),
      holds: db.prepare("SELECT hold FROM troupe_sink_holds ORDER BY sink"),
      setHold: db.prepare(
        "INSERT INTO troupe_sink_holds (sink, hold) VALUES (?, ?) ON CONFLICT (sink) DO UPDATE SET hold = excluded.hold",
      ),
      clearHold: db.prepare("DELETE FROM troupe_sink_holds WHERE sink = ?"),
      pruneSent: db.prepare("DELETE FROM troupe_deliveries WHERE status = 'sent' AND ended_at < ?"),
      pruneAlerts: db.prepare(
        `DELETE FROM troupe_alerts WHERE at < ? AND NOT EXISTS
           (SELECT 1 FROM troupe_deliveries WHERE id >= troupe_alerts.id || '/' AND id < troupe_alerts.id || '0'
              AND alert_id = troupe_alerts.id)`,
      ),
      loadTokens: db.prepare("SELECT tokens FROM troupe_kakao_tokens WHERE sink = ?"),
      saveTokens: db.prepare(
        "INSERT INTO troupe_kakao_tokens (sink, tokens) VALUES (?, ?) ON CONFLICT (sink) DO UPDATE SET tokens = excluded.tokens",
      ),
      takeLock: db.prepare(
        `INSERT INTO troupe_locks (name, owner, until) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until WHERE troupe_locks.until <= ?
         RETURNING owner`,
      ),
      dropLock: db.prepare("DELETE FROM troupe_locks WHERE name = ? AND owner = ?"),
    };
  }

  #tx<T>(work: () => T): T {
    return inTransaction(this.#db, work);
  }

  async enqueue(alert: Alert, deliveries: readonly NewDelivery[]): Promise<number> {
    return this.#tx(() => this.#add(alert, deliveries));
  }

  async enqueueMany(
    items: readonly { alert: Alert; deliveries: readonly NewDelivery[] }[],
  ): Promise<number[]> {
    return this.#tx(() => items.map(({ alert, deliveries }) => this.#add(alert, deliveries)));
  }

  #add(alert: Alert, deliveries: readonly NewDelivery[]): number {
    this.#sql.addAlert!.run(alert.alertId, JSON.stringify(alert), wholeMillis(alert.at, "alert.at"));
    let added = 0;
    for (const d of deliveries) {
      added += Number(
        this.#sql.addDelivery!.run(
          d.id,
          d.alertId,
          d.sink,
          d.severity,
          d.title,
          d.text,
          d.chunk,
          d.chunks,
          d.link ?? null,
          d.fallback ? 1 : 0,
          d.batch ? 1 : 0,
          wholeMillis(d.dueAt, "dueAt"),
          wholeMillis(d.dueAt, "dueAt"),
          wholeMillis(d.createdAt, "createdAt"),
        ).changes,
      );
    }
    return added;
  }

  async alert(alertId: string): Promise<Alert | undefined> {
    const row = this.#sql.alert!.get(alertId) as { alert: string } | undefined;
    return row ? (JSON.parse(row.alert) as Alert) : undefined;
  }

  async releaseHeld(consumer: string, now: number): Promise<number> {
    const at = wholeMillis(now, "now");
    return Number(this.#sql.releaseHeld!.run(at, consumer, at).changes);
  }

  async claim(sink: string, { consumer, max, leaseMs, now }: ClaimOptions): Promise<Delivery[]> {
    const leasedUntil = dueAfter(now, leaseMs, "leaseMs");
    return this.#tx(() => {
      const rows = this.#sql.due!.all(sink, now, max) as unknown as DeliveryRow[];
      return rows.map((row) => {
        const { fence } = this.#sql.lease!.get(leasedUntil, consumer, row.id) as { fence: number };
        return toDelivery({ ...row, fence });
      });
    });
  }

  async settle(items: readonly Settle[], rawNow: number): Promise<boolean[]> {
    const now = wholeMillis(rawNow, "now");
    const dueAts = items.map(({ outcome }) => ("dueAt" in outcome ? wholeMillis(outcome.dueAt, "dueAt") : 0));
    return this.#tx(() =>
      items.map(({ id, fence, outcome }, index) => {
        switch (outcome.kind) {
          case "sent":
            return this.#sql.sent!.run(now, id, fence).changes > 0;
          case "release":
            return this.#sql.release!.run(dueAts[index]!, id, fence).changes > 0;
          case "retry":
            return this.#sql.retry!.run(dueAts[index]!, outcome.error, id, fence).changes > 0;
          case "dead": {
            const row = this.#sql.dead!.get(outcome.error, now, id, fence) as
              | { alert_id: string; sink: string; severity: string; title: string; failures: number }
              | undefined;
            if (!row) return false;
            this.#sql.addDead!.run(
              id,
              row.alert_id,
              row.sink,
              row.severity,
              row.title,
              row.failures,
              outcome.error,
              now,
            );
            return true;
          }
        }
        return false;
      }),
    );
  }

  async fallbackCandidates(options: {
    readonly dueBefore: number;
    readonly down: readonly string[];
    readonly limit: number;
  }): Promise<Delivery[]> {
    const rows = this.#sql.candidates!.all(
      options.dueBefore,
      JSON.stringify(options.down),
      options.limit,
    ) as unknown as DeliveryRow[];
    return rows.map(toDelivery);
  }

  async markFailedOver(ids: readonly string[]): Promise<void> {
    this.#tx(() => {
      for (const id of ids) this.#sql.failedOver!.run(id);
    });
  }

  async sinksOf(alertId: string): Promise<string[]> {
    return (this.#sql.sinksOf!.all(alertId, alertId, alertId) as unknown as { sink: string }[]).map(
      (row) => row.sink,
    );
  }

  async nextDueAt(sink: string): Promise<number | undefined> {
    const row = this.#sql.nextDue!.get(sink) as { at: number | null };
    return row.at ?? undefined;
  }

  async deadLetters(limit = 100): Promise<DeadDelivery[]> {
    const rows = this.#sql.deadLetters!.all(limit) as unknown as {
      id: string;
      alert_id: string;
      sink: string;
      severity: DeadDelivery["severity"];
      title: string;
      failures: number;
      error: string;
      at: number;
    }[];
    return rows.map((row) => ({
      id: row.id,
      alertId: row.alert_id,
      sink: row.sink,
      severity: row.severity,
      title: row.title,
      failures: row.failures,
      error: row.error,
      at: row.at,
    }));
  }

  async stats(sinks: readonly string[]): Promise<OutboxStats> {
    const out: Record<string, SinkBacklog> = {};
    for (const sink of sinks) out[sink] = { pending: 0, oldestCreatedAt: undefined };
    for (const row of this.#sql.backlog!.all() as unknown as { sink: string; n: number; oldest: number }[])
      out[row.sink] = { pending: row.n, oldestCreatedAt: row.oldest };
    const { n } = this.#sql.deadCount!.get() as { n: number };
    return { sinks: out, dead: n };
  }

  async holds(): Promise<SinkHold[]> {
    return (this.#sql.holds!.all() as unknown as { hold: string }[]).map(
      (row) => JSON.parse(row.hold) as SinkHold,
    );
  }

  async setHold(hold: SinkHold): Promise<void> {
    this.#sql.setHold!.run(hold.sink, JSON.stringify(hold));
  }

  async clearHold(sink: string): Promise<void> {
    this.#sql.clearHold!.run(sink);
  }

  async prune(before: number): Promise<number> {
    return this.#tx(() => {
      const pruned = Number(this.#sql.pruneSent!.run(before).changes);
      this.#sql.pruneAlerts!.run(before);
      return pruned;
    });
  }

  async loadTokens(sink: string): Promise<KakaoTokens | undefined> {
    const row = this.#sql.loadTokens!.get(sink) as { tokens: string } | undefined;
    return row ? (JSON.parse(row.tokens) as KakaoTokens) : undefined;
  }

  async saveTokens(sink: string, tokens: KakaoTokens): Promise<void> {
    this.#sql.saveTokens!.run(sink, JSON.stringify(tokens));
  }

  async acquireRefreshLock(
    sink: string,
    ttlMs: number,
    waitMs: number,
  ): Promise<(() => Promise<void>) | undefined> {
    const name = `kakao-refresh:${sink}`;
    const deadline = Date.now() + waitMs;
    for (;;) {
      const now = Date.now();
      const until = dueAfter(now, ttlMs, "ttlMs");
      const took = this.#tx(() => this.#sql.takeLock!.get(name, this.#owner, until, now)) as
        | { owner: string }
        | undefined;
      if (took?.owner === this.#owner)
        return async () => {
          if (this.#db.isOpen) this.#sql.dropLock!.run(name, this.#owner);
        };
      if (Date.now() >= deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }
}

/** Open (and create when missing) the outbox tables of the embedded store at `path`. */
export const openSqliteOutboxStore = (options: SqliteOutboxStoreOptions): SqliteOutboxStore =>
  new SqliteOutbox(options);
