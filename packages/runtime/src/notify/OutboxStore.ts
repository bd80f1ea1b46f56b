// The durable outbox: the port through which an alert outlives the process that raised it. An
// alert's deliveries — one per (alert, sink, chunk), with a deterministic id — are written here
// before any network call; a dispatcher claims them per sink with a lease and a fencing token,
// sends, and settles them (sent, retry later, dead letter, or released untouched while the sink is
// held). Adapters: memory (tests), the embedded SQLite file and Redis; every one passes
// outboxStore.contract.ts. The Kakao token store lives beside it (same file, same Redis).
import type { Alert, Severity } from "./Alert.ts";

export interface NewDelivery {
  /** `<alertId>/<sink>/<chunk>`: enqueuing the same id again does nothing. */
  readonly id: string;
  readonly alertId: string;
  readonly sink: string;
  readonly severity: Severity;
  readonly title: string;
  /** The rendered message, within the sink's limit. */
  readonly text: string;
  readonly chunk: number;
  readonly chunks: number;
  readonly link?: string;
  /** May fall back to the next sink in order when this one fails for good or stays down. */
  readonly fallback: boolean;
  /** Held for a digest (quiet hours, batching): sent together with the sink's other batched ones. */
  readonly batch: boolean;
  /** Epoch ms from which it may be sent. */
  readonly dueAt: number;
  readonly createdAt: number;
}

export interface Delivery extends NewDelivery {
  /** Failed sends so far (sends never made while the sink was held are not counted). */
  readonly failures: number;
  /** Grows with every claim; a settle with an older fence is refused. */
  readonly fence: number;
  readonly failedOver: boolean;
  readonly lastError?: string;
}

export type DeliveryOutcome =
  | { readonly kind: "sent" }
  /** A failed send: counted, sent again from `dueAt`. */
  | { readonly kind: "retry"; readonly dueAt: number; readonly error: string }
  /** A failed send after which it goes to the dead letters. */
  | { readonly kind: "dead"; readonly error: string }
  /** Not sent (the sink is held or parked): back to pending from `dueAt`, nothing counted. */
  | { readonly kind: "release"; readonly dueAt: number };

export interface Settle {
  readonly id: string;
  readonly fence: number;
  readonly outcome: DeliveryOutcome;
}

export interface DeadDelivery {
  readonly id: string;
  readonly alertId: string;
  readonly sink: string;
  readonly severity: Severity;
  readonly title: string;
  readonly failures: number;
  readonly error: string;
  readonly at: number;
}

export interface SinkBacklog {
  readonly pending: number;
  /** When the oldest pending delivery was created (epoch ms). */
  readonly oldestCreatedAt: number | undefined;
}

export interface OutboxStats {
  readonly sinks: Readonly<Record<string, SinkBacklog>>;
  readonly dead: number;
}

/** Why a sink's queue is held: until a person re-authorises it, or until its quota resets. */
export interface SinkHold {
  readonly sink: string;
  readonly reason: "reauth" | "quota";
  /** Epoch ms when it lifts by itself (quota); null: until re-authorised. */
  readonly until: number | null;
  readonly detail: string;
  readonly since: number;
}

export interface ClaimOptions {
  /** Who claims: a restarted process with the same name takes its own leases back at once. */
  readonly consumer: string;
  readonly max: number;
  readonly leaseMs: number;
  readonly now: number;
}

export interface OutboxStore {
  /** Keep the alert and add its deliveries in one atomic write; ids already known are skipped. Returns how many were added. */
  enqueue(alert: Alert, deliveries: readonly NewDelivery[]): Promise<number>;
  /** Several alerts in one atomic write (a burst of alerts costs one commit); how many deliveries each added. */
  enqueueMany(
    items: readonly { readonly alert: Alert; readonly deliveries: readonly NewDelivery[] }[],
  ): Promise<number[]>;
  alert(alertId: string): Promise<Alert | undefined>;
  /** Up to `max` pending deliveries of `sink` that are due (or whose lease expired), leased to the caller. */
  claim(sink: string, options: ClaimOptions): Promise<Delivery[]>;
  /** Make the deliveries `consumer` holds claimable now (called once when a notifier starts: they were its previous run's). */
  releaseHeld(consumer: string, now: number): Promise<number>;
  /** Apply outcomes; each is refused (false) when its fence is stale or the delivery is no longer pending. */
  settle(items: readonly Settle[], now: number): Promise<boolean[]>;
  /** Pending fallback deliveries not yet failed over, due before `dueBefore` or on a sink in `down`. */
  fallbackCandidates(options: {
    readonly dueBefore: number;
    readonly down: readonly string[];
    readonly limit: number;
  }): Promise<Delivery[]>;
  markFailedOver(ids: readonly string[]): Promise<void>;
  /** The sinks an alert has deliveries on. */
  sinksOf(alertId: string): Promise<string[]>;
  /** The earliest time a pending delivery of `sink` becomes claimable, if any. */
  nextDueAt(sink: string): Promise<number | undefined>;
  deadLetters(limit?: number): Promise<DeadDelivery[]>;
  stats(sinks: readonly string[]): Promise<OutboxStats>;
  holds(): Promise<SinkHold[]>;
  setHold(hold: SinkHold): Promise<void>;
  clearHold(sink: string): Promise<void>;
  /** Forget sent deliveries and their alerts older than `before`; returns how many went. */
  prune(before: number): Promise<number>;
  close(): Promise<void>;
}

/** KakaoTalk OAuth tokens, written together so a reader never sees one without the other. */
export interface KakaoTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Epoch ms. */
  readonly accessExpiresAt: number;
  /** Epoch ms; unknown when Kakao did not say. */
  readonly refreshExpiresAt: number | null;
  readonly updatedAt: number;
}

export interface KakaoTokenStore {
  loadTokens(sink: string): Promise<KakaoTokens | undefined>;
  saveTokens(sink: string, tokens: KakaoTokens): Promise<void>;
  /**
   * The refresh lock shared by every process on this store: resolves with its release once held
   * (it expires by itself after `ttlMs`), or undefined when another holder kept it past `waitMs`.
   */
  acquireRefreshLock(sink: string, ttlMs: number, waitMs: number): Promise<(() => Promise<void>) | undefined>;
}

/** The deterministic id of one chunk of one alert on one sink. */
export const deliveryId = (alertId: string, sink: string, chunk: number): string =>
  `${alertId}/${sink}/${chunk}`;
