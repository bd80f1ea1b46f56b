// The notifier: turns alerts into deliveries in the durable outbox and works the outbox off, one
// loop per sink. It routes by severity (critical to every sink at once; lower severities to the
// first sink in order that is up, falling back down the order when a sink fails for good or stays
// down), retries with exponential backoff and jitter (honouring Retry-After), keeps a circuit
// breaker per sink, holds a sink's queue while it needs re-authorisation and parks it while its
// quota is used up, batches quiet-hours alerts into digests, and after the attempt budget moves a
// delivery to the dead letters and sends a notice on another sink. Nothing is dropped: every alert
// is in the outbox before any network call, and stays there until a sink took it or it is a dead
// letter (see docs/alerts.md, "Never silently dropped", for what this does and does not promise).
// What a sink answered is redacted before it is stored, logged or sent on as a notice.
import { hostname } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import { backoffDelay } from "../durable/DurableWorker.ts";
import { TroupeError } from "../errors/TroupeError.ts";
import type { BreakerState } from "../events/catalogue.ts";
import type { EventBus } from "../events/EventBus.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
import { redactText } from "../log/redactSecrets.ts";
import { type CircuitBreaker, standaloneBreaker } from "../supervisor/CircuitBreaker.ts";
import { type Duration, toMillis } from "../time/duration.ts";
import { type Alert, checkAlert, deriveAlertId } from "./Alert.ts";
import {
  type DeadDelivery,
  type Delivery,
  type DeliveryOutcome,
  deliveryId,
  type NewDelivery,
  type OutboxStore,
  type Settle,
  type SinkHold,
} from "./OutboxStore.ts";
import { type QuietHours, quietUntil } from "./quietHours.ts";
import { cutsShort, renderAlert, renderDigest } from "./renderAlert.ts";
import type { OutboundMessage, SendResult, Sink } from "./Sink.ts";

/** Bounded reasons of a failed send, for metrics and logs. */
export type FailureReason = "unavailable" | "rate_limited" | "timeout" | "rejected" | "auth" | "error";

/** What the notifier did, for metrics, logs and tests. */
export type NotifierEvent =
  | { readonly type: "enqueued"; readonly sink: string; readonly alertId: string; readonly count: number }
  | {
      readonly type: "sent";
      readonly sink: string;
      readonly ids: readonly string[];
      readonly durationMs: number;
    }
  | {
      readonly type: "failed";
      readonly sink: string;
      readonly ids: readonly string[];
      readonly reason: FailureReason;
      readonly detail: string;
    }
  | {
      readonly type: "dead";
      readonly sink: string;
      readonly id: string;
      readonly alertId: string;
      readonly error: string;
    }
  | { readonly type: "held"; readonly sink: string; readonly hold: SinkHold }
  | { readonly type: "unheld"; readonly sink: string }
  | {
      readonly type: "breaker";
      readonly sink: string;
      readonly from: BreakerState;
      readonly to: BreakerState;
    }
  | { readonly type: "failover"; readonly alertId: string; readonly from: string; readonly to: string };

export interface NotifierOptions {
  readonly store: OutboxStore;
  /** In fallback order: non-critical alerts go to the first one that is up. */
  readonly sinks: readonly Sink[];
  readonly logger?: Logger;
  /** Failed sends of one delivery before it is a dead letter (default 8). */
  readonly maxAttempts?: number;
  readonly backoff?: { readonly base?: Duration; readonly max?: Duration };
  /** How long a claimed delivery is reserved for this process (default 1m). */
  readonly lease?: Duration;
  /** A non-critical delivery still pending this long after it was due falls back to the next sink (default 2m). */
  readonly failoverAfter?: Duration;
  /** Consecutive failures that open a sink's breaker, and how long it stays open (default 3, 30s). */
  readonly breaker?: { readonly maxFailures?: number; readonly resetAfter?: Duration };
  /** Deadline of one send (default 15s). */
  readonly sendTimeout?: Duration;
  /** Per sink: quiet hours, during which non-critical alerts wait for one digest. */
  readonly quietHours?: Readonly<Record<string, QuietHours>>;
  /** Per sink: non-critical alerts are batched into one digest per window of this length. */
  readonly batch?: Readonly<Record<string, Duration>>;
  /** A link to the full text of an alert, for sinks that send long alerts as a digest. */
  readonly linkFor?: (alertId: string) => string | undefined;
  /** How often a sink held for re-authorisation is asked whether it is usable again (default 1m). */
  readonly reauthCheckEvery?: Duration;
  /** How often each sink looks for work other processes enqueued (default 1s). */
  readonly pollEvery?: Duration;
  /**
   * This process's stable name on the outbox (default: the host name): on start, deliveries its
   * previous run had claimed are taken back at once instead of after their lease. Give every
   * process on one outbox its own name.
   */
  readonly consumer?: string;
  /** Deliveries claimed per round (default 32). */
  readonly claimBatch?: number;
  readonly now?: () => number;
  readonly random?: () => number;
}

export interface SinkStatus {
  readonly name: string;
  readonly pending: number;
  readonly oldestPendingMs: number | undefined;
  readonly breaker: BreakerState;
  readonly hold: SinkHold | undefined;
}

export interface NotifierStatus {
  readonly sinks: readonly SinkStatus[];
  readonly dead: number;
  readonly deadLetters: readonly DeadDelivery[];
}

export interface NotifyReceipt {
  readonly alertId: string;
  /** The sinks it was routed to now (more may follow by fallback). */
  readonly sinks: readonly string[];
  /** Deliveries added (0 when the alert was already in the outbox). */
  readonly added: number;
}

interface SinkRuntime {
  readonly sink: Sink;
  readonly breaker: CircuitBreaker;
  openedAt: number;
  /** A Retry-After from the service: nothing is sent before this. */
  pausedUntil: number;
  hold: SinkHold | undefined;
  lastReauthCheck: number;
  wake: (() => void) | undefined;
  loop: Promise<void> | undefined;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Alerts kept in memory while the outbox is out of reach, at most. */
const MAX_HELD_ALERTS = 1_000;

export class Notifier {
  readonly #store: OutboxStore;
  readonly #logger: Logger;
  readonly #order: readonly string[];
  readonly #sinks = new Map<string, SinkRuntime>();
  readonly #listeners = new Set<(event: NotifierEvent) => void>();
  readonly #maxAttempts: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #leaseMs: number;
  readonly #failoverAfterMs: number;
  readonly #resetAfterMs: number;
  readonly #sendTimeoutMs: number;
  readonly #reauthEveryMs: number;
  readonly #pollMs: number;
  readonly #claimBatch: number;
  readonly #consumer: string;
  readonly #quiet: Readonly<Record<string, QuietHours>>;
  readonly #batchMs: Record<string, number> = {};
  readonly #linkFor: (alertId: string) => string | undefined;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #stopping = new AbortController();
  /** Alerts waiting for the write that stores this turn's alerts together. */
  readonly #writes: {
    alert: Alert;
    deliveries: readonly NewDelivery[];
    resolve: (added: number) => void;
    reject: (error: unknown) => void;
  }[] = [];
  /** How long the send of a delivery not yet settled took, for the "sent" report. */
  readonly #sendMs = new Map<string, number>();
  #started = false;
  #sweeper: Promise<void> | undefined;
  #sweepWake: (() => void) | undefined;

  constructor(options: NotifierOptions) {
    this.#store = options.store;
    this.#logger = options.logger ?? silentLogger;
    if (options.sinks.length === 0)
      throw new TroupeError("InvalidNotifyConfig", "the notifier needs at least one sink");
    const names = options.sinks.map((sink) => sink.name);
    const twice = names.find((name, index) => names.indexOf(name) !== index);
    if (twice) throw new TroupeError("InvalidNotifyConfig", `sink "${twice}" is configured twice`);
    this.#order = names;
    this.#maxAttempts = options.maxAttempts ?? 8;
    if (!Number.isInteger(this.#maxAttempts) || this.#maxAttempts < 1)
      throw new TroupeError(
        "InvalidNotifyConfig",
        `maxAttempts must be a positive integer, got ${this.#maxAttempts}`,
      );
    this.#baseMs = toMillis(options.backoff?.base ?? "1s", "backoff.base");
    this.#maxMs = toMillis(options.backoff?.max ?? "5m", "backoff.max");
    this.#leaseMs = toMillis(options.lease ?? "1m", "lease");
    this.#failoverAfterMs = toMillis(options.failoverAfter ?? "2m", "failoverAfter");
    this.#resetAfterMs = toMillis(options.breaker?.resetAfter ?? "30s", "breaker.resetAfter");
    this.#sendTimeoutMs = toMillis(options.sendTimeout ?? "15s", "sendTimeout");
    this.#reauthEveryMs = toMillis(options.reauthCheckEvery ?? "1m", "reauthCheckEvery");
    this.#pollMs = toMillis(options.pollEvery ?? "1s", "pollEvery");
    this.#claimBatch = options.claimBatch ?? 32;
    this.#consumer = options.consumer ?? hostname();
    this.#quiet = options.quietHours ?? {};
    for (const [name, window] of Object.entries(options.batch ?? {}))
      this.#batchMs[name] = toMillis(window, `batch.${name}`);
    for (const name of [...Object.keys(this.#quiet), ...Object.keys(this.#batchMs)])
      if (!names.includes(name))
        throw new TroupeError(
          "InvalidNotifyConfig",
          `quiet hours or batching name an unknown sink "${name}" (known: ${names.join(", ")})`,
        );
    this.#linkFor = options.linkFor ?? (() => undefined);
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    const maxFailures = options.breaker?.maxFailures ?? 3;
    for (const sink of options.sinks)
      this.#sinks.set(sink.name, {
        sink,
        breaker: standaloneBreaker(maxFailures),
        openedAt: 0,
        pausedUntil: 0,
        hold: undefined,
        lastReauthCheck: 0,
        wake: undefined,
        loop: undefined,
      });
  }

  /** The sinks' names in fallback order. */
  get sinkNames(): readonly string[] {
    return this.#order;
  }

  /** Observe what the notifier does; returns the unsubscribe function. */
  observe(listener: (event: NotifierEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The first event matching `predicate` from now on (rejects when `signal` aborts). */
  waitFor<E extends NotifierEvent>(
    predicate: (event: NotifierEvent) => event is E,
    signal: AbortSignal,
  ): Promise<E>;
  waitFor(predicate: (event: NotifierEvent) => boolean, signal: AbortSignal): Promise<NotifierEvent>;
  waitFor(predicate: (event: NotifierEvent) => boolean, signal: AbortSignal): Promise<NotifierEvent> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        stop();
        reject(signal.reason);
      };
      const stop = this.observe((event) => {
        if (!predicate(event)) return;
        stop();
        signal.removeEventListener("abort", onAbort);
        resolve(event);
      });
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Start the sinks' loops (held sinks stay held: their holds are read from the store). */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const resumed = await this.#store.releaseHeld(this.#consumer, this.#now());
    if (resumed > 0)
      this.#logger.log("info", "notifier: taking back deliveries a previous run had claimed", { resumed });
    for (const hold of await this.#store.holds()) {
      const runtime = this.#sinks.get(hold.sink);
      if (runtime) runtime.hold = hold;
    }
    for (const runtime of this.#sinks.values()) runtime.loop = this.#run(runtime);
    this.#sweeper = this.#sweepLoop();
  }

  /** Stop claiming; sends under way finish (within their deadline) and are settled. */
  async stop(): Promise<void> {
    if (this.#stopping.signal.aborted) return;
    this.#stopping.abort(new TroupeError("ShuttingDown", "the notifier is stopping"));
    for (const runtime of this.#sinks.values()) runtime.wake?.();
    this.#sweepWake?.();
    await Promise.all([...[...this.#sinks.values()].map((runtime) => runtime.loop), this.#sweeper]);
    await Promise.all([...this.#sinks.values()].map((runtime) => runtime.sink.close?.()));
  }

  /** Put an alert in the outbox (validated; InvalidAlert names the bad field) and route it. */
  async notify(input: Partial<Alert> & Record<string, unknown>): Promise<NotifyReceipt> {
    const alert = checkAlert(input, this.#now());
    const now = this.#now();
    const { targets, wholeOn } = this.#route(alert);
    const deliveries = targets.flatMap((sink) =>
      this.#deliveriesFor(alert, sink, now, sink === wholeOn ? undefined : wholeOn),
    );
    const added = await this.#write(alert, deliveries);
    if (added > 0) {
      for (const sink of targets) {
        this.#emit({
          type: "enqueued",
          sink,
          alertId: alert.alertId,
          count: deliveries.filter((d) => d.sink === sink).length,
        });
        this.#sinks.get(sink)?.wake?.();
      }
    }
    return { alertId: alert.alertId, sinks: targets, added };
  }

  /**
   * Write an alert's deliveries. Alerts notified in the same turn (a burst on the bus) go to the
   * store in one atomic write; each caller's promise resolves once its alert is stored.
   */
  #write(alert: Alert, deliveries: readonly NewDelivery[]): Promise<number> {
    return new Promise((resolve, reject) => {
      const first = this.#writes.length === 0;
      this.#writes.push({ alert, deliveries, resolve, reject });
      if (!first) return;
      queueMicrotask(() => {
        const batch = this.#writes.splice(0);
        this.#store.enqueueMany(batch.map(({ alert, deliveries }) => ({ alert, deliveries }))).then(
          (added) => {
            for (const [index, write] of batch.entries()) write.resolve(added[index] ?? 0);
          },
          (error: unknown) => {
            for (const write of batch) write.reject(error);
          },
        );
      });
    });
  }

  /**
   * Deliver the bus's `alert.raised` events, and `alert.resolved` as a short "resolved" message on
   * the sinks the alert went to; never thrown at the publisher. A bad alert is logged and refused. One
   * that meets an outbox out of reach (Redis restarting, say) is kept in memory and written again
   * with backoff until the outbox takes it or the notifier stops: warned once, never dropped while
   * fewer than MAX_HELD_ALERTS wait (past that, the newest is refused at error level).
   */
  attach(bus: EventBus): () => void {
    const held = new Set<string>();
    const store = (key: string, alertId: string, write: () => Promise<unknown>) => {
      const attempt = async (n: number): Promise<void> => {
        try {
          await write();
          if (n > 1) this.#logger.log("info", "notifier: held alert stored", { alertId, attempts: n });
          held.delete(key);
        } catch (error) {
          const reason = error instanceof TroupeError ? error.reason : errorText(error);
          const permanent = error instanceof TroupeError && !error.transient;
          if (permanent || this.#stopping.signal.aborted || (n === 1 && held.size >= MAX_HELD_ALERTS)) {
            held.delete(key);
            this.#logger.log("error", "notifier: alert refused", { alertId, error: reason });
            return;
          }
          if (n === 1) {
            held.add(key);
            this.#logger.log("warn", "notifier: the outbox is out of reach; the alert is held and retried", {
              alertId,
              error: reason,
            });
          }
          await delay(backoffDelay(n, 250, 30_000), undefined, { signal: this.#stopping.signal }).catch(
            () => {},
          );
          return attempt(n + 1);
        }
      };
      void attempt(1);
    };
    const raised = bus.on("alert.raised", (event) =>
      store(`raised:${event.alertId}`, event.alertId, () => this.notify({ ...event })),
    );
    const resolved = bus.on("alert.resolved", (event) =>
      store(`resolved:${event.alertId}`, event.alertId, () => this.resolve(event.alertId)),
    );
    return () => {
      raised();
      resolved();
    };
  }

  /** Say on the sinks an alert went to that it is over (nothing when the alert is unknown). */
  async resolve(alertId: string): Promise<NotifyReceipt | undefined> {
    const original = await this.#store.alert(alertId);
    if (!original) {
      this.#logger.log("debug", "notifier: resolved alert is not in the outbox", { alertId });
      return undefined;
    }
    const sinks = (await this.#store.sinksOf(alertId)).filter((name) => this.#sinks.has(name));
    const alert = checkAlert(
      {
        alertId: deriveAlertId(alertId, "resolved"),
        severity: "info",
        source: original.source,
        title: `Resolved: ${original.title}`,
        text: `${original.title} is over.`,
        ...(original.link ? { link: original.link } : {}),
      },
      this.#now(),
    );
    const now = this.#now();
    const deliveries = sinks.flatMap((sink) =>
      this.#deliveriesFor(alert, sink, now).map((d) => ({ ...d, fallback: false })),
    );
    const added = await this.#write(alert, deliveries);
    for (const sink of sinks) {
      if (added > 0) this.#emit({ type: "enqueued", sink, alertId: alert.alertId, count: 1 });
      this.#sinks.get(sink)?.wake?.();
    }
    return { alertId: alert.alertId, sinks, added };
  }

  /** Mark a sink usable again after a person re-authorised it (`troupe kakao login` does this through the store). */
  async release(sinkName: string): Promise<void> {
    const runtime = this.#sinks.get(sinkName);
    await this.#store.clearHold(sinkName);
    if (runtime?.hold) {
      runtime.hold = undefined;
      this.#emit({ type: "unheld", sink: sinkName });
    }
    runtime?.wake?.();
  }

  async status(): Promise<NotifierStatus> {
    const [stats, deadLetters] = await Promise.all([
      this.#store.stats(this.#order),
      this.#store.deadLetters(10),
    ]);
    const now = this.#now();
    return {
      sinks: this.#order.map((name) => {
        const runtime = this.#sinks.get(name)!;
        const backlog = stats.sinks[name];
        return {
          name,
          pending: backlog?.pending ?? 0,
          oldestPendingMs:
            backlog?.oldestCreatedAt === undefined ? undefined : Math.max(0, now - backlog.oldestCreatedAt),
          breaker: runtime.breaker.state,
          hold: runtime.hold,
        };
      }),
      dead: stats.dead,
      deadLetters,
    };
  }

  #emit(event: NotifierEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.log("error", "notifier: an observer threw", { error: errorText(error) });
      }
    }
  }

  #isUp(name: string): boolean {
    const runtime = this.#sinks.get(name);
    return runtime !== undefined && runtime.hold === undefined && runtime.breaker.state !== "open";
  }

  #firstUp(names: readonly string[]): string | undefined {
    return names.find((name) => this.#isUp(name));
  }

  /**
   * Critical alerts go to every sink; others to the first sink that is up — and, when that sink
   * would cut the alert short (a Kakao digest), also whole to the next one up that would not.
   */
  #route(alert: Alert): { targets: string[]; wholeOn?: string } {
    if (alert.severity === "critical") return { targets: [...this.#order] };
    const first = this.#firstUp(this.#order) ?? this.#order[0]!;
    const linked = { ...alert, link: alert.link ?? this.#linkFor(alert.alertId) };
    if (!cutsShort(linked, this.#sinks.get(first)!.sink.format)) return { targets: [first] };
    const whole = this.#order.find(
      (name) => name !== first && this.#isUp(name) && !cutsShort(linked, this.#sinks.get(name)!.sink.format),
    );
    return whole === undefined ? { targets: [first] } : { targets: [first, whole], wholeOn: whole };
  }

  #deliveriesFor(alert: Alert, sinkName: string, now: number, wholeOn?: string): NewDelivery[] {
    const { sink } = this.#sinks.get(sinkName)!;
    const critical = alert.severity === "critical";
    const quiet = this.#quiet[sinkName];
    const quietEnd = critical || !quiet ? undefined : quietUntil(quiet, now);
    const window = critical ? undefined : this.#batchMs[sinkName];
    const batchDue = window ? Math.ceil((now + 1) / window) * window : undefined;
    const dueAt = quietEnd ?? batchDue ?? now;
    const link = alert.link ?? this.#linkFor(alert.alertId);
    const linked = link === undefined ? alert : { ...alert, link };
    return renderAlert(linked, sink.format, wholeOn).map((chunk) => ({
      id: deliveryId(alert.alertId, sinkName, chunk.chunk),
      alertId: alert.alertId,
      sink: sinkName,
      severity: alert.severity,
      title: alert.title,
      text: chunk.text,
      chunk: chunk.chunk,
      chunks: chunk.chunks,
      ...(link === undefined ? {} : { link }),
      fallback: !critical,
      batch: quietEnd !== undefined || batchDue !== undefined,
      dueAt,
      createdAt: now,
    }));
  }

  /** Wait up to `ms`, or until woken or stopping. */
  #sleep(runtime: SinkRuntime | undefined, ms: number): Promise<void> {
    if (this.#stopping.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (runtime) runtime.wake = undefined;
        else this.#sweepWake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      // Woken by new work: answer on the next turn, so work enqueued in the same turn is claimed together.
      const wake = () => setImmediate(done);
      if (runtime) runtime.wake = wake;
      else this.#sweepWake = wake;
    });
  }

  async #run(runtime: SinkRuntime): Promise<void> {
    const name = runtime.sink.name;
    while (!this.#stopping.signal.aborted) {
      try {
        const waitMs = await this.#round(runtime);
        if (waitMs > 0) await this.#sleep(runtime, waitMs);
        // Let alerts enqueued meanwhile gather, so the next claim takes them in one batch.
        else await new Promise((resolve) => setImmediate(resolve));
      } catch (error) {
        this.#logger.log("error", "notifier: a round failed; trying again", {
          sink: name,
          error: errorText(error),
        });
        await this.#sleep(runtime, this.#pollMs);
      }
    }
  }

  /** One round of a sink's loop; returns how long to wait before the next (0: at once). */
  async #round(runtime: SinkRuntime): Promise<number> {
    const now = this.#now();
    const name = runtime.sink.name;
    if (runtime.hold) {
      const { hold } = runtime;
      if (hold.until !== null && hold.until <= now) {
        await this.release(name);
        return 0;
      }
      if (
        hold.reason === "reauth" &&
        runtime.sink.reauthorised &&
        now - runtime.lastReauthCheck >= this.#reauthEveryMs
      ) {
        runtime.lastReauthCheck = now;
        if (await runtime.sink.reauthorised()) {
          this.#logger.log("info", "notifier: sink re-authorised; sending its held alerts", { sink: name });
          await this.release(name);
          return 0;
        }
      }
      const untilCheck = hold.reason === "reauth" ? this.#reauthEveryMs : (hold.until ?? now) - now;
      return Math.min(Math.max(untilCheck, 10), this.#pollMs * 10);
    }
    if (runtime.pausedUntil > now) return runtime.pausedUntil - now;
    if (runtime.breaker.state === "open") {
      const reopenAt = runtime.openedAt + this.#resetAfterMs;
      if (now < reopenAt) return reopenAt - now;
      this.#breakerMoved(name, runtime.breaker.resetTimeoutElapsed());
    }
    const probing = runtime.breaker.state === "half_open";
    const claimed = await this.#store.claim(name, {
      consumer: this.#consumer,
      max: probing ? 1 : this.#claimBatch,
      leaseMs: this.#leaseMs,
      now,
    });
    if (claimed.length === 0) {
      const next = await this.#store.nextDueAt(name);
      return next === undefined ? this.#pollMs : Math.min(this.#pollMs, Math.max(1, next - this.#now()));
    }
    const batched = claimed.filter((delivery) => delivery.batch);
    const single = claimed.filter((delivery) => !delivery.batch);
    const settles: Settle[] = [];
    let stopAt = -1;
    if (batched.length > 1) {
      const outcome = await this.#sendDigest(runtime, batched);
      settles.push(...batched.map((delivery) => this.#settleFor(delivery, outcome)));
      if (outcome.stop) stopAt = 0;
    } else single.unshift(...batched);
    for (const [index, delivery] of single.entries()) {
      if (stopAt >= 0) {
        settles.push({
          id: delivery.id,
          fence: delivery.fence,
          outcome: { kind: "release", dueAt: this.#now() },
        });
        continue;
      }
      const outcome = await this.#sendOne(runtime, delivery);
      settles.push(this.#settleFor(delivery, outcome));
      if (outcome.stop) stopAt = index;
      // Settle as we go so a crash resends as little as possible: after every send that took a
      // while (a real network call), in groups when sends are quick.
      if (outcome.durationMs >= 2 || settles.length >= this.#claimBatch)
        await this.#applySettles(runtime, settles.splice(0), single);
    }
    await this.#applySettles(runtime, settles, claimed);
    return 0;
  }

  #settleFor(delivery: Delivery, outcome: RoundOutcome): Settle {
    this.#sendMs.set(delivery.id, outcome.durationMs);
    return { id: delivery.id, fence: delivery.fence, outcome: outcome.outcome(delivery) };
  }

  async #applySettles(
    runtime: SinkRuntime,
    settles: readonly Settle[],
    deliveries: readonly Delivery[],
  ): Promise<void> {
    if (settles.length === 0) return;
    const applied = await this.#store.settle(settles, this.#now());
    const byId = new Map(deliveries.map((delivery) => [delivery.id, delivery]));
    const sent = settles.filter((settle, index) => applied[index] && settle.outcome.kind === "sent");
    if (sent.length > 0)
      this.#emit({
        type: "sent",
        sink: runtime.sink.name,
        ids: sent.map((settle) => settle.id),
        durationMs:
          sent.reduce((total, settle) => total + (this.#sendMs.get(settle.id) ?? 0), 0) / sent.length,
      });
    for (const settle of settles) this.#sendMs.delete(settle.id);
    for (const [index, settle] of settles.entries()) {
      if (!applied[index] || settle.outcome.kind !== "dead") continue;
      const delivery = byId.get(settle.id);
      if (delivery) await this.#deadLettered(runtime, delivery, settle.outcome.error);
    }
  }

  async #deadLettered(runtime: SinkRuntime, delivery: Delivery, error: string): Promise<void> {
    const name = runtime.sink.name;
    this.#emit({ type: "dead", sink: name, id: delivery.id, alertId: delivery.alertId, error });
    this.#logger.log("error", "notifier: delivery moved to the dead letters", {
      sink: name,
      id: delivery.id,
      failures: delivery.failures + 1,
      error,
    });
    if (delivery.fallback && !delivery.failedOver) await this.#failOver([delivery]);
    if (delivery.alertId.startsWith("notifier~")) return; // no notice about a notice
    await this.#notice(
      deriveAlertId("notifier", "dead", delivery.alertId, name, String(delivery.chunk)),
      `Alert not delivered to ${name}`,
      `"${delivery.title}" (${delivery.severity}) could not be delivered to ${name} after ${delivery.failures + 1} attempts: ${error}. It is kept as a dead letter (see /status).`,
      name,
    );
  }

  /** A notice from the notifier itself, on the first sink that is up other than `avoid`. */
  async #notice(id: string, title: string, text: string, avoid: string): Promise<void> {
    const others = this.#order.filter((name) => name !== avoid);
    const target = this.#firstUp(others) ?? others[0];
    if (!target) {
      this.#logger.log("error", `notifier: ${title}; no other sink to say so on`, { text });
      return;
    }
    const alert = checkAlert(
      {
        alertId: id,
        severity: "warning",
        source: "notifier",
        title,
        text,
      },
      this.#now(),
    );
    const deliveries = this.#deliveriesFor(alert, target, this.#now());
    const added = await this.#store.enqueue(alert, deliveries);
    if (added > 0) {
      this.#emit({ type: "enqueued", sink: target, alertId: alert.alertId, count: added });
      this.#sinks.get(target)?.wake?.();
    }
  }

  async #hold(runtime: SinkRuntime, hold: SinkHold): Promise<void> {
    const previous = runtime.hold;
    runtime.hold = hold;
    await this.#store.setHold(hold);
    this.#emit({ type: "held", sink: hold.sink, hold });
    if (previous?.reason === hold.reason) return;
    this.#logger.log("warn", `notifier: ${hold.sink} held (${hold.reason})`, {
      sink: hold.sink,
      until: hold.until === null ? null : new Date(hold.until).toISOString(),
      detail: hold.detail,
    });
    this.#sweepWake?.();
    if (hold.reason === "reauth")
      await this.#notice(
        deriveAlertId("notifier", "reauth", hold.sink, String(hold.since)),
        `${hold.sink} needs re-authorisation`,
        `${hold.sink} refused its credentials (${hold.detail}). Its alerts are held, not dropped; run "troupe kakao login" to authorise it again.`,
        hold.sink,
      );
  }

  #breakerMoved(sink: string, transition: { from: BreakerState; to: BreakerState } | undefined): void {
    if (!transition) return;
    const runtime = this.#sinks.get(sink)!;
    if (transition.to === "open") {
      runtime.openedAt = this.#now();
      this.#sweepWake?.();
    }
    this.#emit({ type: "breaker", sink, from: transition.from, to: transition.to });
    this.#logger.log(
      transition.to === "open" ? "warn" : "info",
      `notifier: ${sink} breaker ${transition.to}`,
      { sink },
    );
  }

  async #send(
    runtime: SinkRuntime,
    message: OutboundMessage,
  ): Promise<{ result: SendResult; reason?: FailureReason }> {
    const deadline = AbortSignal.timeout(this.#sendTimeoutMs);
    const signal = AbortSignal.any([deadline, this.#stopping.signal]);
    try {
      const result = await runtime.sink.send(message, signal);
      return { result: result.kind === "ok" ? result : { ...result, reason: redactText(result.reason) } };
    } catch (error) {
      const timedOut = deadline.aborted;
      return {
        result: {
          kind: "retry",
          reason: timedOut ? `no answer within ${this.#sendTimeoutMs} ms` : redactText(errorText(error)),
        },
        reason: timedOut ? "timeout" : "error",
      };
    }
  }

  async #sendOne(runtime: SinkRuntime, delivery: Delivery): Promise<RoundOutcome> {
    runtime.breaker.dispatched();
    const startedAt = performance.now();
    const { result, reason } = await this.#send(runtime, {
      id: delivery.id,
      alertId: delivery.alertId,
      severity: delivery.severity,
      title: delivery.title,
      text: delivery.text,
      chunk: delivery.chunk,
      chunks: delivery.chunks,
      ...(delivery.link === undefined ? {} : { link: delivery.link }),
    });
    return this.#judge(runtime, [delivery.id], result, reason, performance.now() - startedAt);
  }

  async #sendDigest(runtime: SinkRuntime, deliveries: readonly Delivery[]): Promise<RoundOutcome> {
    const alerts = new Map<string, Delivery>();
    for (const delivery of deliveries)
      if (!alerts.has(delivery.alertId)) alerts.set(delivery.alertId, delivery);
    const items = [...alerts.values()].map((delivery) => ({
      severity: delivery.severity,
      title: delivery.title,
      at: delivery.createdAt,
    }));
    const chunks = renderDigest(items, runtime.sink.format);
    const first = deliveries[0]!;
    const ids = deliveries.map((delivery) => delivery.id);
    const startedAt = performance.now();
    for (const chunk of chunks) {
      runtime.breaker.dispatched();
      const { result, reason } = await this.#send(runtime, {
        id: `digest~${first.id}~${chunk.chunk}`,
        alertId: first.alertId,
        severity: items.some((item) => item.severity === "warning") ? "warning" : "info",
        title: `${items.length} alerts`,
        text: chunk.text,
        chunk: chunk.chunk,
        chunks: chunk.chunks,
        ...(first.link === undefined ? {} : { link: first.link }),
      });
      if (result.kind !== "ok")
        return this.#judge(runtime, ids, result, reason, performance.now() - startedAt);
    }
    return this.#judge(runtime, ids, { kind: "ok" }, undefined, performance.now() - startedAt);
  }

  /** What a send's result means for the delivery and for the sink. */
  async #judge(
    runtime: SinkRuntime,
    ids: readonly string[],
    result: SendResult,
    thrown: FailureReason | undefined,
    durationMs: number,
  ): Promise<RoundOutcome> {
    const name = runtime.sink.name;
    const now = this.#now();
    switch (result.kind) {
      case "ok":
        this.#breakerMoved(name, runtime.breaker.succeeded());
        // "sent" is reported once the outbox has recorded it (see #applySettles).
        return { stop: false, durationMs, outcome: () => ({ kind: "sent" }) };
      case "quota":
        await this.#hold(runtime, {
          sink: name,
          reason: "quota",
          until: result.resetAt,
          detail: result.reason,
          since: now,
        });
        return { stop: true, durationMs, outcome: () => ({ kind: "release", dueAt: result.resetAt }) };
      case "auth_expired":
        this.#emit({ type: "failed", sink: name, ids, reason: "auth", detail: result.reason });
        await this.#hold(runtime, {
          sink: name,
          reason: "reauth",
          until: null,
          detail: result.reason,
          since: now,
        });
        return { stop: true, durationMs, outcome: () => ({ kind: "release", dueAt: now }) };
      case "retry": {
        const rateLimited = result.afterMs !== undefined && thrown === undefined;
        const reason: FailureReason = thrown ?? (rateLimited ? "rate_limited" : "unavailable");
        this.#emit({ type: "failed", sink: name, ids, reason, detail: result.reason });
        if (rateLimited) {
          // The service is up and said when to come back: wait for the whole sink, count nothing.
          runtime.pausedUntil = now + result.afterMs!;
          return {
            stop: true,
            durationMs,
            outcome: () => ({ kind: "release", dueAt: now + result.afterMs! }),
          };
        }
        this.#breakerMoved(name, runtime.breaker.failed());
        return {
          stop: runtime.breaker.state === "open",
          durationMs,
          outcome: (delivery) =>
            delivery.failures + 1 >= this.#maxAttempts
              ? { kind: "dead", error: result.reason }
              : {
                  kind: "retry",
                  dueAt: now + backoffDelay(delivery.failures + 1, this.#baseMs, this.#maxMs, this.#random),
                  error: result.reason,
                },
        };
      }
      case "permanent":
        this.#emit({ type: "failed", sink: name, ids, reason: "rejected", detail: result.reason });
        this.#breakerMoved(name, runtime.breaker.failed());
        return {
          stop: runtime.breaker.state === "open",
          durationMs,
          outcome: () => ({ kind: "dead", error: result.reason }),
        };
    }
  }

  async #sweepLoop(): Promise<void> {
    const every = Math.max(10, Math.min(this.#failoverAfterMs / 4, 5_000, this.#pollMs * 5));
    while (!this.#stopping.signal.aborted) {
      try {
        await this.#sweep();
      } catch (error) {
        this.#logger.log("error", "notifier: fallback sweep failed", { error: errorText(error) });
      }
      await this.#sleep(undefined, every);
    }
  }

  /** Fall back for deliveries pending too long or stuck on a sink that is down; pick up other processes' holds. */
  async #sweep(): Promise<void> {
    const holds = new Map((await this.#store.holds()).map((hold) => [hold.sink, hold]));
    for (const [name, runtime] of this.#sinks) {
      const stored = holds.get(name);
      if (stored && !runtime.hold) {
        runtime.hold = stored;
        this.#emit({ type: "held", sink: name, hold: stored });
      } else if (!stored && runtime.hold) {
        runtime.hold = undefined;
        this.#emit({ type: "unheld", sink: name });
        runtime.wake?.();
      }
    }
    const down = this.#order.filter((name) => !this.#isUp(name));
    const candidates = await this.#store.fallbackCandidates({
      dueBefore: this.#now() - this.#failoverAfterMs,
      down,
      limit: 200,
    });
    if (candidates.length > 0) await this.#failOver(candidates);
  }

  /** Route each alert of these deliveries to the next sink in order it is not on yet. */
  async #failOver(deliveries: readonly Delivery[]): Promise<void> {
    const byAlert = new Map<string, Delivery[]>();
    for (const delivery of deliveries)
      byAlert.set(delivery.alertId, [...(byAlert.get(delivery.alertId) ?? []), delivery]);
    for (const [alertId, group] of byAlert) {
      const alert = await this.#store.alert(alertId);
      const used = new Set(await this.#store.sinksOf(alertId));
      const from = group[0]!.sink;
      const after = this.#order.slice(this.#order.indexOf(from) + 1).filter((name) => !used.has(name));
      const rest = this.#order.filter((name) => !used.has(name));
      const next = this.#firstUp(after) ?? this.#firstUp(rest) ?? after[0];
      if (alert && next) {
        const now = this.#now();
        const added = await this.#store.enqueue(
          alert,
          this.#deliveriesFor(alert, next, now).map((d) => ({ ...d, batch: false, dueAt: now })),
        );
        if (added > 0) {
          this.#emit({ type: "failover", alertId, from, to: next });
          this.#emit({ type: "enqueued", sink: next, alertId, count: added });
          this.#logger.log("warn", "notifier: falling back to the next sink", { alertId, from, to: next });
          this.#sinks.get(next)?.wake?.();
        }
      }
      await this.#store.markFailedOver(group.map((delivery) => delivery.id));
    }
  }
}

interface RoundOutcome {
  /** Stop sending this round (the sink is held, paused or its breaker opened). */
  readonly stop: boolean;
  readonly durationMs: number;
  readonly outcome: (delivery: Delivery) => DeliveryOutcome;
}
