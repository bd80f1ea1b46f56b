// The Redis event mirror: every event on a process's EventBus goes out on Redis pub/sub, and every
// event other processes mirror comes back in, validated, onto the local bus. It is how dashboards,
// the notifier and other `troupe` hosts watch a team they do not run.
//
// Channels: one per namespace and event type, `troupe:<namespace>:events:<type>`; a mirror listens
// with PSUBSCRIBE `troupe:<namespace>:events:*`. Payload: JSON `{ origin, event }`, or, for a run of
// events of one type published one after the other in the same turn, `{ origin, events: [...] }`
// (one message for the run, at most MAX_BATCH_CHARS of events each; the order is kept); every event is encoded with the catalogue's
// `RuntimeEvent` schema and decoded with `decodeRuntimeEvent` on arrival; a malformed or unknown
// message or event is counted (`stats().malformed`), logged once and skipped.
// A string over 8 KB in an event is cut with a marker (fitMirrorEvent.ts), so no message nears
// Redis's client output buffer limits; the full text stays in the task record.
//
// At-most-once, on purpose: pub/sub is for watching, the durable queue is for work. The mirror
// opens its own connections with the caller's `duplicate()` (a subscribed connection cannot publish):
// - the publisher runs with `enableOfflineQueue: false`: while Redis is unreachable an event is
//   dropped at once and counted (`stats().dropped`) instead of queueing in memory; at most
//   `maxInFlight` events wait for Redis's reply, beyond that events are dropped too. The events
//   published in one turn of the event loop go out as one pipeline (one write), each run of one
//   type batched into one message;
// - the subscriber re-issues its PSUBSCRIBE each time ioredis reconnects; once every connection is
//   back, the mirror publishes `mirror.gap { namespace, downAt, upAt }` on the local bus (only there).
// No echo loops: an event that came from Redis is never published back, and a mirror skips its own
// messages coming back (their `origin` is its own) before decoding them.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { decodeRuntimeEvent, type RuntimeEvent } from "../events/catalogue.ts";
import type { EventBus } from "../events/EventBus.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
import { mirrorEventJson } from "./fitMirrorEvent.ts";

export interface EventMirrorOptions {
  /** The process's bus: its events go out, other processes' events are delivered into it. */
  readonly bus: EventBus;
  /**
   * A connection to copy: the mirror opens its own publisher and subscriber with `duplicate()` and
   * closes them in `close()`; this connection itself is never used nor closed by the mirror.
   */
  readonly redis: Redis;
  /** Separates teams sharing one Redis: letters, digits, `.`, `_`, `-`. */
  readonly namespace: string;
  /** Names this process in the payload (default: a random UUID); must be unique per mirror. */
  readonly origin?: string;
  readonly logger?: Logger;
  /**
   * Where the mirror counts its messages and reconnections: `createMirrorMetrics` of
   * @troupe/runtime/metrics (`troupe_mirror_messages_total`, `troupe_mirror_gaps_total`).
   */
  readonly metrics?: (namespace: string) => Readonly<Record<Outcome | "gap", { inc(): void }>>;
  /** Publishes waiting for Redis's reply before further events are dropped (default 10,000). */
  readonly maxInFlight?: number;
  /**
   * `both` (default): publish the bus's events and deliver the others'. `publish`: a process that only
   * reports (no subscriber connection, so it does not pay for receiving its own messages back).
   * `subscribe`: a watcher (dashboard, notifier) that only listens.
   */
  readonly direction?: MirrorDirection;
}

export type MirrorDirection = "both" | "publish" | "subscribe";

export interface EventMirrorStats {
  /** Events handed to Redis (one cut off by a disconnect may not have arrived). */
  readonly published: number;
  /** Events from other processes delivered into the local bus. */
  readonly received: number;
  /** Messages on the channels that were not a valid event; skipped. */
  readonly malformed: number;
  /** Local events not sent: Redis unreachable, too many in flight, or not encodable. */
  readonly dropped: number;
  /** This mirror's own messages (one event or a batch of them) that came back from Redis; ignored. */
  readonly ownIgnored: number;
  /** Reconnections reported as `mirror.gap`. */
  readonly gaps: number;
}

type Outcome = "published" | "received" | "malformed" | "dropped";

const NAMESPACE = /^[A-Za-z0-9._-]+$/;
const DEFAULT_MAX_IN_FLIGHT = 10_000;
const LOGGED_REASON_CHARS = 200;
const LOGGED_SAMPLE_CHARS = 80;
/** The events of one type and turn go out in messages of at most about this many characters. */
const MAX_BATCH_CHARS = 64 * 1024;

/** The channel an event of `type` is mirrored on. */
export const eventChannel = (namespace: string, type: string): string => `troupe:${namespace}:events:${type}`;
/** The pattern that matches every event channel of a namespace. */
export const eventChannelPattern = (namespace: string): string => `troupe:${namespace}:events:*`;

const shorten = (text: string, chars: number) => (text.length > chars ? `${text.slice(0, chars)}…` : text);

export class RedisEventMirror {
  readonly namespace: string;
  readonly origin: string;
  readonly #bus: EventBus;
  readonly #logger: Logger;
  readonly #publisher: Redis | undefined;
  readonly #subscriber: Redis | undefined;
  readonly #channelPrefix: string;
  readonly #pattern: string;
  readonly #ownPrefix: string;
  readonly #ownPrefixBytes: Buffer;
  readonly #maxInFlight: number;
  /** Events that must not go out: those that came from Redis and this mirror's own gap reports. */
  readonly #localOnly = new WeakSet<RuntimeEvent>();
  readonly #unsubscribeBus: (() => void) | undefined;
  readonly #counters: Readonly<Record<Outcome | "gap", { inc(): void }>> | undefined;
  #stats = { published: 0, received: 0, malformed: 0, dropped: 0, ownIgnored: 0, gaps: 0 };
  /** What this turn published, in order, in runs of one type: each event's JSON, sent as one pipeline. */
  #batch: { readonly type: string; readonly jsons: string[] }[] = [];
  #batchedEvents = 0;
  #flushQueued = false;
  /** Events in the batch or sent and not yet answered by Redis. */
  #inFlight = 0;
  #publisherReady = false;
  #subscribed = false;
  /** Bumped whenever the subscriber disconnects, so a late PSUBSCRIBE reply of an old connection is ignored. */
  #subscriberConnection = 0;
  #everUp = false;
  #downAt: number | undefined;
  #droppedWhileDown = 0;
  #errorLoggedWhileDown = false;
  #upWaiters = new Set<() => void>();
  #closed = false;

  constructor(options: EventMirrorOptions) {
    if (!NAMESPACE.test(options.namespace)) {
      throw new RangeError(
        `mirror namespace must be letters, digits, ".", "_" or "-", got ${JSON.stringify(options.namespace)}`,
      );
    }
    const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new RangeError(`mirror maxInFlight must be a positive integer, got ${maxInFlight}`);
    }
    this.namespace = options.namespace;
    this.origin = options.origin ?? randomUUID();
    this.#bus = options.bus;
    this.#logger = options.logger ?? silentLogger;
    this.#maxInFlight = maxInFlight;
    this.#channelPrefix = eventChannel(this.namespace, "");
    this.#pattern = eventChannelPattern(this.namespace);
    // Every own payload, one event or a batch, starts with this.
    this.#ownPrefix = `{"origin":${JSON.stringify(this.origin)},`;
    this.#ownPrefixBytes = Buffer.from(this.#ownPrefix);

    this.#counters = options.metrics?.(this.namespace);

    const direction = options.direction ?? "both";
    if (direction !== "subscribe") {
      const publisher = options.redis.duplicate({
        enableOfflineQueue: false,
        lazyConnect: false,
        connectionName: `troupe-mirror-pub:${this.namespace}`,
      });
      publisher.on("ready", () => {
        this.#publisherReady = true;
        this.#checkUp();
      });
      publisher.on("close", () => {
        this.#publisherReady = false;
        this.#markDown();
      });
      // ioredis reports connection errors as events; without a listener it prints them to the console.
      publisher.on("error", (error: Error) => this.#connectionError("publisher", error));
      this.#publisher = publisher;
      this.#unsubscribeBus = this.#bus.subscribe((event) => this.#publish(event, publisher));
    }
    if (direction !== "publish") {
      const subscriber = options.redis.duplicate({
        autoResubscribe: false, // the mirror re-issues its PSUBSCRIBE itself, to know when it is back
        lazyConnect: false,
        connectionName: `troupe-mirror-sub:${this.namespace}`,
      });
      subscriber.on("ready", () => this.#subscribe(subscriber));
      subscriber.on("close", () => {
        this.#subscribed = false;
        this.#subscriberConnection += 1;
        this.#markDown();
      });
      subscriber.on("error", (error: Error) => this.#connectionError("subscriber", error));
      // Buffers, not strings: the mirror's own messages are recognised without decoding them.
      subscriber.on("pmessageBuffer", (_pattern: string, channel: Buffer, message: Buffer) =>
        this.#receive(channel, message),
      );
      this.#subscriber = subscriber;
    }
  }

  /** True while the mirror's connections are up and its pattern subscription is active. */
  get connected(): boolean {
    return (
      !this.#closed &&
      (this.#publisher === undefined || this.#publisherReady) &&
      (this.#subscriber === undefined || this.#subscribed)
    );
  }

  stats(): EventMirrorStats {
    return { ...this.#stats };
  }

  /**
   * Resolves once the mirror is connected (publisher ready, PSUBSCRIBE confirmed); rejects with the
   * signal's reason when it aborts first. Events published before that are dropped.
   */
  ready(signal?: AbortSignal): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.#upWaiters.delete(onUp);
        reject(signal?.reason);
      };
      const onUp = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      this.#upWaiters.add(onUp);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Stop mirroring: leave the bus, then quit the connections the mirror opened (waiting at most
   * `graceMs` for in-flight publishes to be acknowledged). The caller's connection is left open.
   */
  async close(graceMs = 1_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribeBus?.();
    if (this.#publisher && this.#batchedEvents > 0) this.#flush(this.#publisher); // before QUIT
    this.#upWaiters.clear();
    const connections = [this.#publisher, this.#subscriber].filter((connection) => connection !== undefined);
    await Promise.all(connections.map((connection) => quit(connection, graceMs)));
    for (const connection of connections) connection.removeAllListeners();
  }

  #count(outcome: Outcome): void {
    this.#stats[outcome] += 1;
    this.#counters?.[outcome].inc();
  }

  #publish(event: RuntimeEvent, publisher: Redis): void {
    if (this.#localOnly.has(event)) return;
    if (!this.#publisherReady || this.#inFlight >= this.#maxInFlight) {
      this.#drop(event, this.#publisherReady ? "too many publishes in flight" : "not connected to Redis");
      return;
    }
    let json: string;
    try {
      // The catalogue's encoded form is the event itself (no transformations), so JSON is enough here;
      // what arrives is validated against the schema on the other side.
      const fitted = mirrorEventJson(event);
      if (fitted === undefined) {
        this.#count("dropped");
        this.#logger.log(
          "warn",
          "redis mirror: an event is too large to mirror even with its texts cut; not mirrored",
          {
            namespace: this.namespace,
            type: event.type,
          },
        );
        return;
      }
      json = fitted;
    } catch (error) {
      this.#count("dropped");
      this.#logger.log("warn", "redis mirror: an event could not be encoded; not mirrored", {
        namespace: this.namespace,
        type: event.type,
        reason: shorten(error instanceof Error ? error.message : String(error), LOGGED_REASON_CHARS),
      });
      return;
    }
    this.#inFlight += 1;
    this.#count("published");
    const run = this.#batch.at(-1);
    if (run?.type === event.type) run.jsons.push(json);
    else this.#batch.push({ type: event.type, jsons: [json] });
    this.#batchedEvents += 1;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush(publisher));
    }
  }

  /**
   * Send the turn's events in one pipeline (one write, one promise, whatever the burst), in order: a
   * lone event as `{ origin, event }`, a run of one type as `{ origin, events }` messages of at most
   * about MAX_BATCH_CHARS each.
   */
  #flush(publisher: Redis): void {
    this.#flushQueued = false;
    if (this.#batchedEvents === 0) return;
    const batch = this.#batch;
    const events = this.#batchedEvents;
    this.#batch = [];
    this.#batchedEvents = 0;
    const pipeline = publisher.pipeline();
    for (const { type, jsons } of batch) {
      const channel = this.#channelPrefix + type;
      if (jsons.length === 1) {
        pipeline.publish(channel, `${this.#ownPrefix}"event":${jsons[0]}}`);
        continue;
      }
      let chunk: string[] = [];
      let chars = 0;
      const send = () => pipeline.publish(channel, `${this.#ownPrefix}"events":[${chunk.join(",")}]}`);
      for (const json of jsons) {
        if (chunk.length > 0 && chars + json.length > MAX_BATCH_CHARS) {
          send();
          chunk = [];
          chars = 0;
        }
        chunk.push(json);
        chars += json.length + 1;
      }
      send();
    }
    pipeline.exec().then(
      (results) => {
        this.#inFlight -= events;
        const failure = results?.find(([error]) => error)?.[0];
        if (failure) this.#publishFailed(failure);
      },
      (error: unknown) => {
        this.#inFlight -= events;
        this.#publishFailed(error);
      },
    );
  }

  #publishFailed(error: unknown): void {
    // The connection dropped with publishes unanswered: they may or may not have gone out.
    this.#logger.log("debug", "redis mirror: a publish failed", {
      namespace: this.namespace,
      reason: shorten(error instanceof Error ? error.message : String(error), LOGGED_REASON_CHARS),
    });
  }

  #drop(event: RuntimeEvent, reason: string): void {
    this.#count("dropped");
    this.#droppedWhileDown += 1;
    // One line per outage (or per overload), not one per event.
    if (this.#droppedWhileDown === 1) {
      this.#logger.log("warn", "redis mirror: dropping events (at-most-once)", {
        namespace: this.namespace,
        reason,
        type: event.type,
      });
    }
  }

  #receive(channelBytes: Buffer, messageBytes: Buffer): void {
    if (this.#closed) return;
    const own = this.#ownPrefixBytes;
    if (messageBytes.length > own.length && messageBytes.compare(own, 0, own.length, 0, own.length) === 0) {
      this.#stats.ownIgnored += 1;
      return;
    }
    const channel = channelBytes.toString();
    const message = messageBytes.toString();
    let payload: unknown;
    try {
      payload = JSON.parse(message);
    } catch {
      return this.#malformed(channel, message, "not JSON");
    }
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
      return this.#malformed(channel, message, "not an object { origin, event }");
    }
    const { origin, event, events } = payload as { origin?: unknown; event?: unknown; events?: unknown };
    if (typeof origin !== "string") return this.#malformed(channel, message, "origin is not a string");
    if (origin === this.origin) {
      this.#stats.ownIgnored += 1;
      return;
    }
    if (events === undefined) return this.#deliver(channel, message, event);
    if (!Array.isArray(events)) return this.#malformed(channel, message, "events is not a list");
    for (const each of events) this.#deliver(channel, message, each);
  }

  /** Validate one event of a message and deliver it into the local bus, or count it malformed. */
  #deliver(channel: string, message: string, event: unknown): void {
    const decoded = decodeRuntimeEvent(event);
    if (!decoded.ok) return this.#malformed(channel, message, decoded.error);
    const type = decoded.event.type;
    if (channel.length !== this.#channelPrefix.length + type.length || !channel.endsWith(type)) {
      return this.#malformed(channel, message, `event type ${type} on the wrong channel`);
    }
    this.#localOnly.add(decoded.event);
    this.#count("received");
    this.#bus.deliver(decoded.event);
  }

  #malformed(channel: string, message: string, reason: string): void {
    this.#count("malformed");
    this.#logger.log("warn", "redis mirror: skipped a malformed message", {
      namespace: this.namespace,
      channel,
      reason: shorten(reason, LOGGED_REASON_CHARS),
      sample: shorten(message, LOGGED_SAMPLE_CHARS),
      bytes: message.length,
    });
  }

  #subscribe(subscriber: Redis): void {
    const connection = this.#subscriberConnection;
    subscriber.psubscribe(this.#pattern).then(
      () => {
        if (connection !== this.#subscriberConnection || this.#closed) return;
        this.#subscribed = true;
        this.#checkUp();
      },
      (error: unknown) => {
        // Mostly the connection dropping before Redis answered: the next "ready" subscribes again.
        this.#logger.log("warn", "redis mirror: PSUBSCRIBE failed", {
          namespace: this.namespace,
          reason: shorten(error instanceof Error ? error.message : String(error), LOGGED_REASON_CHARS),
        });
      },
    );
  }

  #markDown(): void {
    if (this.#closed || !this.#everUp || this.#downAt !== undefined) return;
    this.#downAt = Date.now();
    this.#droppedWhileDown = 0;
    this.#logger.log("warn", "redis mirror: connection lost; reconnecting", { namespace: this.namespace });
  }

  #checkUp(): void {
    if (!this.connected || this.#closed) return;
    this.#everUp = true;
    this.#droppedWhileDown = 0;
    this.#errorLoggedWhileDown = false;
    const downAt = this.#downAt;
    this.#downAt = undefined;
    if (downAt !== undefined) {
      const upAt = Date.now();
      this.#stats.gaps += 1;
      this.#counters?.gap.inc();
      this.#logger.log("info", "redis mirror: reconnected and resubscribed", {
        namespace: this.namespace,
        downMs: upAt - downAt,
      });
      const gap = { type: "mirror.gap", namespace: this.namespace, downAt, upAt } as const;
      // A gap is this process's observation: reported on its own bus, not mirrored to the others.
      this.#localOnly.add(gap as unknown as RuntimeEvent);
      this.#bus.publish(gap);
    }
    const waiters = [...this.#upWaiters];
    this.#upWaiters.clear();
    for (const waiter of waiters) waiter();
  }

  #connectionError(connection: "publisher" | "subscriber", error: Error): void {
    // ioredis retries by itself and reports every failed attempt; one line per outage is enough.
    if (this.#errorLoggedWhileDown) return;
    this.#errorLoggedWhileDown = true;
    this.#logger.log("warn", "redis mirror: connection error", {
      namespace: this.namespace,
      connection,
      reason: shorten(error.message, LOGGED_REASON_CHARS),
    });
  }
}

/** QUIT when connected (in-flight replies arrive first), at most `graceMs`; otherwise just disconnect. */
const quit = async (connection: Redis, graceMs: number): Promise<void> => {
  if (connection.status !== "ready") {
    connection.disconnect();
    return;
  }
  const timer = setTimeout(() => connection.disconnect(), graceMs);
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  } finally {
    clearTimeout(timer);
  }
};

/** Mirror a bus onto Redis pub/sub under `namespace`; see the file header for the guarantees. */
export const mirrorEvents = (options: EventMirrorOptions): RedisEventMirror => new RedisEventMirror(options);
