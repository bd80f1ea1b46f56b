// Catching up on the messages written in Troupe's channels while the surface was not connected (the
// host was down or restarting, or the gateway came back in a new session). Each mapped channel, and
// each task thread active within the window whose tasks are all over (a follow-up may wait there; a
// thread whose task is still open may hold answers to it, which are not follow-ups), is read back
// from its cursor — the last message taken from it, kept in the host's store by the ledger —
// within a window (default the last hour) and a count (default the newest 100 a channel), and every
// message there goes through the bridge's intake, oldest first, unless a task was already started for
// it (by this run, an earlier one or another host: `alreadyTaken`). The cursor moves past a message
// once the intake has handled it (its task is on the work queue), in the order the messages came —
// except, from a (re)connection until the catch-up asked for then has read the channels, for messages
// delivered live: they may be newer than what was missed, and the cursor must not pass over that.
// Runs go one at a time; asking during one queues one more. A channel that cannot be read is tried
// again with backoff until it can or the bridge stops, unless the surface refused (a 4xx: say, no
// permission to read its history), which is logged as an error and left to the next run (a task
// thread refused, deleted say, is forgotten with an info line instead), or another
// host holds the surface now (SurfaceLost: a host resumed after a freeze), whose catch-up reads it.
import { backoffDelay } from "../durable/DurableWorker.ts";
import { isTroupeError } from "../errors/TroupeError.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
import { type Clock, systemClock } from "../time/Clock.ts";
import { isTransientSurfaceError } from "./isTransientSurfaceError.ts";
import type { ChannelMap } from "./routeInbound.ts";
import type { InboundMessage, Surface } from "./Surface.ts";
import type { SurfaceTaskLedger } from "./SurfaceTaskLedger.ts";

export interface CatchUpSettings {
  /** Messages read back per channel at most: the newest are kept (0: no catch-up). */
  readonly maxPerChannel: number;
  /** How far back a message may have been written to be read back (ms). */
  readonly windowMs: number;
  /** Wait before reading a channel again: base · 2^(attempt−1), capped, with jitter (default 1s, 60s). */
  readonly retry?: { readonly baseMs: number; readonly maxMs: number };
}

export const DEFAULT_CATCH_UP: CatchUpSettings = { maxPerChannel: 100, windowMs: 3_600_000 };

/** What one catch-up did, over every mapped channel. */
export interface CatchUpReport {
  readonly why: string;
  readonly channels: number;
  /** Of `channels`, the task threads read. */
  readonly threads: number;
  /** Messages read back. */
  readonly read: number;
  /** Of `read`, those that started a task. */
  readonly tasks: number;
  /** Of `read`, those a task had already been started for. */
  readonly alreadyTaken: number;
  /** Older messages within the window left out by `maxPerChannel`. */
  readonly skipped: number;
}

export interface CatchUpOptions {
  readonly surface: Surface;
  readonly ledger: SurfaceTaskLedger;
  readonly channels: ChannelMap;
  readonly settings: CatchUpSettings;
  /** Whether a task was started for the message already (here, by an earlier run or another host). */
  alreadyTaken(message: InboundMessage): Promise<boolean>;
  /** The bridge's intake; true when the message started a task. */
  take(message: InboundMessage): boolean;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface CatchUp {
  /** Read back every mapped channel (after a start or a reconnect); queued behind a run under way. */
  run(why: string): Promise<CatchUpReport>;
  /**
   * The intake handled a message of a mapped channel, delivered `live` or read back by a catch-up: its
   * cursor moves past it once `handled` settles.
   */
  passed(message: InboundMessage, handled: Promise<unknown>, source: "live" | "catch-up"): void;
  /** A run under way ends, retries included; resolves once the cursor moves under way are written. */
  stop(): Promise<void>;
}

interface ChannelReport {
  readonly read: number;
  readonly tasks: number;
  readonly alreadyTaken: number;
  readonly skipped: number;
}

const NOTHING: ChannelReport = { read: 0, tasks: 0, alreadyTaken: 0, skipped: 0 };

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The surface answered and said no (a 4xx): reading again will not help. */
const refused = (error: unknown) =>
  !isTransientSurfaceError(error) && typeof (error as { status?: unknown })?.status === "number";

export const createCatchUp = (options: CatchUpOptions): CatchUp => {
  const { surface, ledger, settings } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const retry = settings.retry ?? { baseMs: 1_000, maxMs: 60_000 };
  const stopping = new AbortController();
  /** Per channel, the cursor moves in the order its messages were handled. */
  const cursorMoves = new Map<string, Promise<void>>();

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clock.clearTimeout(timer);
        stopping.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = clock.setTimeout(done, ms);
      stopping.signal.addEventListener("abort", done, { once: true });
    });

  /** Runs asked for so far, and the last one that finished (the start's run is due from the outset). */
  let asked = 1;
  let finished = 0;
  let runs = 0;

  const passed = (message: InboundMessage, handled: Promise<unknown>, source: "live" | "catch-up") => {
    if (source === "live" && finished < asked) return;
    const channelId = message.threadId ?? message.channelId;
    const moved = (cursorMoves.get(channelId) ?? Promise.resolve())
      .then(() => handled)
      .catch(() => {})
      .then(() => ledger.moveCursor({ channelId, after: message.id }));
    cursorMoves.set(channelId, moved);
    void moved.finally(() => {
      if (cursorMoves.get(channelId) === moved) cursorMoves.delete(channelId);
    });
  };

  /** Read a channel (or a thread, read from `activeAt` the first time) back from its cursor. */
  const readChannel = async (
    channelId: string,
    read: NonNullable<Surface["messagesSince"]>,
    activeAt?: number,
  ) => {
    const now = clock.now();
    const cursor =
      (await ledger.cursor(channelId)) ??
      (activeAt === undefined ? undefined : { channelId, since: activeAt });
    if (cursor === undefined) {
      // The first time this store sees the channel: from now on, nothing is missed.
      ledger.moveCursor({ channelId, since: now });
      return NOTHING;
    }
    const { messages, skipped } = await read(
      channelId,
      {
        ...("after" in cursor ? { after: cursor.after } : {}),
        since: Math.max("since" in cursor ? cursor.since : 0, now - settings.windowMs),
        limit: settings.maxPerChannel,
      },
      stopping.signal,
    );
    if (skipped > 0)
      logger.log("warn", "surface: older missed messages beyond the catch-up limit are not answered", {
        channelId,
        skipped,
        maxPerChannel: settings.maxPerChannel,
      });
    let tasks = 0;
    let alreadyTaken = 0;
    for (const message of messages) {
      if (stopping.signal.aborted) break;
      if (await options.alreadyTaken(message)) {
        alreadyTaken += 1;
        passed(message, Promise.resolve(), "catch-up");
      } else if (options.take(message)) tasks += 1;
    }
    return { read: messages.length, tasks, alreadyTaken, skipped };
  };

  const readWithRetries = async (
    channelId: string,
    read: NonNullable<Surface["messagesSince"]>,
    activeAt?: number,
  ): Promise<ChannelReport> => {
    for (let attempt = 1; !stopping.signal.aborted; attempt += 1) {
      try {
        return await readChannel(channelId, read, activeAt);
      } catch (error) {
        // Another host holds the surface now: its own catch-up reads the channel.
        if (stopping.signal.aborted || isTroupeError(error, "SurfaceLost")) break;
        if (refused(error) && activeAt !== undefined) {
          // A task thread people deleted (or closed to the bot): not read back again.
          logger.log("info", "surface: a task thread can no longer be read; it is not read back again", {
            threadId: channelId,
            error: errorText(error),
          });
          ledger.forgetThread(channelId);
          break;
        }
        if (refused(error)) {
          logger.log("error", "surface: missed messages of a channel could not be read", {
            channelId,
            error: errorText(error),
          });
          break;
        }
        const delayMs = Math.round(backoffDelay(attempt, retry.baseMs, retry.maxMs));
        logger.log("warn", "surface: missed messages could not be read yet; trying again", {
          channelId,
          attempt,
          retryInMs: delayMs,
          error: errorText(error),
        });
        await pause(delayMs);
      }
    }
    return NOTHING;
  };

  const everyChannel = async (why: string): Promise<CatchUpReport> => {
    const read = surface.messagesSince?.bind(surface);
    const ids =
      read && settings.maxPerChannel > 0 && !stopping.signal.aborted
        ? (surface.channelIds?.([...options.channels.keys()]) ?? [])
        : [];
    const threads =
      ids.length > 0 ? ledger.quietThreadsSince(clock.now() - settings.windowMs) : ([] as const);
    const reports = read
      ? await Promise.all([
          ...ids.map((id) => readWithRetries(id, read)),
          ...threads.map((thread) => readWithRetries(thread.threadId, read, thread.activeAt)),
        ])
      : [];
    const sum = (field: keyof ChannelReport) => reports.reduce((total, report) => total + report[field], 0);
    const report: CatchUpReport = {
      why,
      channels: ids.length + threads.length,
      threads: threads.length,
      read: sum("read"),
      tasks: sum("tasks"),
      alreadyTaken: sum("alreadyTaken"),
      skipped: sum("skipped"),
    };
    logger.log("info", "surface: caught up on missed messages", { ...report });
    return report;
  };

  /** The run under way (or the last one), and the one queued behind it. */
  let current: Promise<unknown> = Promise.resolve();
  let queued: Promise<CatchUpReport> | undefined;

  return {
    run(why) {
      if (queued === undefined) {
        runs += 1;
        const run = runs;
        asked = Math.max(asked, run);
        const next = current.then(async () => {
          queued = undefined;
          try {
            return await everyChannel(why);
          } finally {
            finished = run;
          }
        });
        queued = next;
        current = next.catch(() => {});
      }
      return queued;
    },
    passed,
    async stop() {
      stopping.abort();
      await Promise.all(cursorMoves.values());
    },
  };
};
