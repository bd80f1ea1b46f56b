// The outbox in memory, for tests and for a notifier that need not outlive its process. Same
// semantics as the durable adapters (outboxStore.contract.ts), including leases, fences and times
// kept in whole milliseconds.
import { dueAfter, wholeMillis } from "../time/wholeMillis.ts";
import type { Alert } from "./Alert.ts";
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
  SinkHold,
} from "./OutboxStore.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Row extends Mutable<Delivery> {
  status: "pending" | "sent" | "dead";
  holder?: string;
  /** Claimable from (due time, or the end of the current lease). */
  eligibleAt: number;
  sentAt?: number;
}

export class MemoryOutboxStore implements OutboxStore, KakaoTokenStore {
  readonly #alerts = new Map<string, Alert>();
  readonly #rows = new Map<string, Row>();
  readonly #dead: DeadDelivery[] = [];
  readonly #holds = new Map<string, SinkHold>();
  readonly #tokens = new Map<string, KakaoTokens>();
  readonly #locks = new Map<string, number>();

  async enqueue(alert: Alert, deliveries: readonly NewDelivery[]): Promise<number> {
    if (!this.#alerts.has(alert.alertId)) this.#alerts.set(alert.alertId, structuredClone(alert));
    let added = 0;
    for (const delivery of deliveries) {
      if (this.#rows.has(delivery.id)) continue;
      const dueAt = wholeMillis(delivery.dueAt, "dueAt");
      this.#rows.set(delivery.id, {
        ...delivery,
        dueAt,
        createdAt: wholeMillis(delivery.createdAt, "createdAt"),
        failures: 0,
        fence: 0,
        failedOver: false,
        status: "pending",
        eligibleAt: dueAt,
      });
      added += 1;
    }
    return added;
  }

  async enqueueMany(
    items: readonly { alert: Alert; deliveries: readonly NewDelivery[] }[],
  ): Promise<number[]> {
    const added: number[] = [];
    for (const { alert, deliveries } of items) added.push(await this.enqueue(alert, deliveries));
    return added;
  }

  async alert(alertId: string): Promise<Alert | undefined> {
    return this.#alerts.get(alertId);
  }

  async releaseHeld(consumer: string, now: number): Promise<number> {
    let released = 0;
    for (const row of this.#rows.values())
      if (row.status === "pending" && row.holder === consumer && row.eligibleAt > now) {
        row.eligibleAt = now;
        released += 1;
      }
    return released;
  }

  async claim(sink: string, { consumer, max, leaseMs, now }: ClaimOptions): Promise<Delivery[]> {
    const leasedUntil = dueAfter(now, leaseMs, "leaseMs");
    const due = [...this.#rows.values()]
      .filter((row) => row.sink === sink && row.status === "pending" && row.eligibleAt <= now)
      .sort((a, b) => a.eligibleAt - b.eligibleAt || a.createdAt - b.createdAt || a.chunk - b.chunk)
      .slice(0, max);
    return due.map((row) => {
      row.fence += 1;
      row.holder = consumer;
      row.eligibleAt = leasedUntil;
      return this.#public(row);
    });
  }

  async settle(items: readonly Settle[], now: number): Promise<boolean[]> {
    return items.map(({ id, fence, outcome }) => {
      const row = this.#rows.get(id);
      if (row?.status !== "pending" || row.fence !== fence) return false;
      switch (outcome.kind) {
        case "sent":
          row.status = "sent";
          row.sentAt = now;
          break;
        case "release":
          row.eligibleAt = wholeMillis(outcome.dueAt, "dueAt");
          break;
        case "retry":
          row.failures += 1;
          row.lastError = outcome.error;
          row.eligibleAt = wholeMillis(outcome.dueAt, "dueAt");
          break;
        case "dead":
          row.failures += 1;
          row.lastError = outcome.error;
          row.status = "dead";
          this.#dead.push({
            id,
            alertId: row.alertId,
            sink: row.sink,
            severity: row.severity,
            title: row.title,
            failures: row.failures,
            error: outcome.error,
            at: now,
          });
          break;
      }
      return true;
    });
  }

  async fallbackCandidates(options: {
    dueBefore: number;
    down: readonly string[];
    limit: number;
  }): Promise<Delivery[]> {
    return [...this.#rows.values()]
      .filter(
        (row) =>
          row.status === "pending" &&
          row.fallback &&
          !row.failedOver &&
          (row.dueAt <= options.dueBefore || options.down.includes(row.sink)),
      )
      .slice(0, options.limit)
      .map((row) => this.#public(row));
  }

  async markFailedOver(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const row = this.#rows.get(id);
      if (row) row.failedOver = true;
    }
  }

  async sinksOf(alertId: string): Promise<string[]> {
    return [
      ...new Set([...this.#rows.values()].filter((row) => row.alertId === alertId).map((row) => row.sink)),
    ];
  }

  async nextDueAt(sink: string): Promise<number | undefined> {
    let next: number | undefined;
    for (const row of this.#rows.values())
      if (row.sink === sink && row.status === "pending" && (next === undefined || row.eligibleAt < next))
        next = row.eligibleAt;
    return next;
  }

  async deadLetters(limit = 100): Promise<DeadDelivery[]> {
    return this.#dead.slice(-limit).reverse();
  }

  async stats(sinks: readonly string[]): Promise<OutboxStats> {
    const out: Record<string, { pending: number; oldestCreatedAt: number | undefined }> = {};
    for (const sink of sinks) out[sink] = { pending: 0, oldestCreatedAt: undefined };
    for (const row of this.#rows.values()) {
      if (row.status !== "pending") continue;
      out[row.sink] ??= { pending: 0, oldestCreatedAt: undefined };
      const entry = out[row.sink]!;
      entry.pending += 1;
      if (entry.oldestCreatedAt === undefined || row.createdAt < entry.oldestCreatedAt)
        entry.oldestCreatedAt = row.createdAt;
    }
    return { sinks: out, dead: this.#dead.length };
  }

  async holds(): Promise<SinkHold[]> {
    return [...this.#holds.values()];
  }

  async setHold(hold: SinkHold): Promise<void> {
    this.#holds.set(hold.sink, hold);
  }

  async clearHold(sink: string): Promise<void> {
    this.#holds.delete(sink);
  }

  async prune(before: number): Promise<number> {
    let pruned = 0;
    for (const [id, row] of this.#rows)
      if (row.status === "sent" && (row.sentAt ?? 0) < before) {
        this.#rows.delete(id);
        pruned += 1;
      }
    const live = new Set([...this.#rows.values()].map((row) => row.alertId));
    for (const [id, alert] of this.#alerts) if (!live.has(id) && alert.at < before) this.#alerts.delete(id);
    return pruned;
  }

  async loadTokens(sink: string): Promise<KakaoTokens | undefined> {
    return this.#tokens.get(sink);
  }

  async saveTokens(sink: string, tokens: KakaoTokens): Promise<void> {
    this.#tokens.set(sink, { ...tokens });
  }

  async acquireRefreshLock(
    sink: string,
    ttlMs: number,
    waitMs: number,
  ): Promise<(() => Promise<void>) | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const heldUntil = this.#locks.get(sink) ?? 0;
      if (heldUntil <= Date.now()) {
        const until = dueAfter(Date.now(), ttlMs, "ttlMs");
        this.#locks.set(sink, until);
        return async () => {
          if (this.#locks.get(sink) === until) this.#locks.delete(sink);
        };
      }
      if (Date.now() >= deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async close(): Promise<void> {}

  #public(row: Row): Delivery {
    const { status: _status, eligibleAt: _eligible, sentAt: _sent, holder: _holder, ...delivery } = row;
    return { ...delivery };
  }
}
