// The fallback for when a surface's REST keeps failing: a decorator over any Surface that is
// transparent while its outgoing calls (startThread, post, react, unreact) succeed. When one fails
// with a transient error (network, timeout, 5xx, after the adapter's own retries; a 4xx is the
// caller's problem and is thrown as before), the call is written to the file-drop folder instead
// (SpoolDirectory: one file per operation, in order) and resolves, so the bridge carries on. While
// anything is spooled, later calls are spooled behind it, so the order is kept.
//
// What the caller gets back while spooling: startThread and post resolve to placeholder ids
// ("spooled-42", PlaceholderIds). Later calls that name a placeholder are spooled with it and the
// replay puts the real id in (a post into a spooled thread lands in that thread once it exists, or in
// its parent channel when the thread was refused); after the replay, calls with a placeholder are
// translated, and inbound messages and reactions in a replayed thread or on a replayed post carry the
// placeholder the caller knows, so a question asked during the outage is still answered in its thread.
//
// A background probe retries the oldest operation with exponential backoff; once the surface answers,
// everything is replayed in order, each file deleted after delivery. An operation refused for good
// (a 4xx) is moved to `rejected/` with a log line. Operations left by an earlier run are replayed
// first. A reaction spooled and then removed before delivery cancels out (only the latest status
// reaction of a message is ever sent). Beyond `maxFiles` spooled operations, new ones are refused
// with a SurfaceUnavailable error and an error log. `close()` stops the probe: what is spooled stays
// on disk for the next start.
import { TroupeError } from "../errors/TroupeError.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
import { type Clock, systemClock } from "../time/Clock.ts";
import { isTransientSurfaceError } from "./isTransientSurfaceError.ts";
import { isPlaceholder, PlaceholderIds } from "./PlaceholderIds.ts";
import {
  openSpoolDirectory,
  type SpoolEntry,
  type SpooledOperation,
  spoolFileName,
} from "./SpoolDirectory.ts";
import type { InboundReaction, Surface, SurfaceMessageRef } from "./Surface.ts";

export type FileDropOutcome = "spooled" | "replayed" | "rejected" | "coalesced" | "dropped";

export interface FileDropOptions {
  /** The file-drop folder (created when missing; one host per folder). */
  readonly dir: string;
  /** Spooled operations kept at most (default 10,000); beyond, calls are refused and logged. */
  readonly maxFiles?: number;
  /** Wait before retrying the oldest operation: base · 2^(failures−1), capped (default 500ms, 10s). */
  readonly probe?: { readonly baseMs?: number; readonly maxMs?: number };
  /** Which failures mean "down for now" (default isTransientSurfaceError). */
  readonly isTransient?: (error: unknown) => boolean;
  /** Told of every operation's outcome and of the number spooled (the host's /metrics). */
  readonly metrics?: { outcome(outcome: FileDropOutcome): void; pending(count: number): void };
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface FileDropStats {
  readonly spooled: number;
  readonly replayed: number;
  readonly rejected: number;
  /** Spooled reactions cancelled by their removal before delivery (each pair counts once). */
  readonly coalesced: number;
  readonly dropped: number;
  /** Operations in the folder now. */
  readonly pending: number;
}

export interface FileDropSurface extends Surface {
  /** Whether outgoing calls are going to the folder now. */
  readonly spooling: boolean;
  readonly dir: string;
  stats(): FileDropStats;
  /** Resolves once nothing is spooled (or `signal` aborts). */
  drained(signal?: AbortSignal): Promise<void>;
  /** Stop the probe (waiting for a delivery under way, until `signal` aborts); spooled files stay. */
  close(signal?: AbortSignal): Promise<void>;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Resolves when the callback given to `register` is called, or when `signal` aborts. */
const calledOrAborted = (signal: AbortSignal | undefined, register: (done: () => void) => void) =>
  new Promise<void>((resolve) => {
    const done = () => {
      signal?.removeEventListener("abort", done);
      resolve();
    };
    register(done);
    signal?.addEventListener("abort", done, { once: true });
  });

interface Pending extends SpoolEntry {
  /** Resolves once the file is on disk (false when it could not be written). */
  readonly written: Promise<boolean>;
}

export const withFileDrop = async (surface: Surface, options: FileDropOptions): Promise<FileDropSurface> => {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const isTransient = options.isTransient ?? isTransientSurfaceError;
  const maxFiles = options.maxFiles ?? 10_000;
  const baseMs = options.probe?.baseMs ?? 500;
  const maxMs = options.probe?.maxMs ?? 10_000;
  const spool = await openSpoolDirectory(options.dir);
  const { dir } = spool;
  for (const file of spool.unreadable)
    logger.log("error", "surface fallback: an unreadable file moved to rejected/", { dir, file });

  const pending: Pending[] = spool.leftovers.map((entry) => ({ ...entry, written: Promise.resolve(true) }));
  let nextSeq = (pending.at(-1)?.seq ?? 0) + 1;
  const ids = new PlaceholderIds();
  const counts = { spooled: 0, replayed: 0, rejected: 0, coalesced: 0, dropped: 0 };
  let delivering: Pending | undefined;
  let failures = 0;
  let full = false;
  let closed = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let drainedWaiters: (() => void)[] = [];

  const count = (outcome: FileDropOutcome) => {
    counts[outcome] += 1;
    options.metrics?.outcome(outcome);
    options.metrics?.pending(pending.length);
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = clock.setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clock.clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });

  const unspool = (entry: Pending) => {
    const index = pending.indexOf(entry);
    if (index < 0) return;
    pending.splice(index, 1);
    if (full && pending.length < maxFiles) {
      full = false;
      logger.log("warn", "surface fallback: the file drop has room again", { dir, maxFiles });
    }
    if (pending.length === 0) {
      const waiters = drainedWaiters;
      drainedWaiters = [];
      for (const done of waiters) done();
    }
  };

  const resolvedRef = (ref: SurfaceMessageRef) => {
    const resolved = ids.realRef(ref);
    if (isPlaceholder(resolved.channelId) || isPlaceholder(resolved.messageId))
      throw new TroupeError("InvalidCommand", "it names a message or thread that was never delivered");
    return resolved;
  };

  const deliver = async (operation: SpooledOperation): Promise<void> => {
    switch (operation.op) {
      case "startThread":
        ids.learn(
          operation.placeholder,
          await surface.startThread(resolvedRef(operation.on), operation.name),
        );
        return;
      case "post": {
        const channelId = isPlaceholder(ids.real(operation.channelId))
          ? operation.fallbackChannelId
          : ids.real(operation.channelId);
        if (channelId === undefined || isPlaceholder(channelId))
          throw new TroupeError("InvalidCommand", "it names a thread that was never delivered");
        ids.learn(operation.placeholder, (await surface.post(channelId, operation.post)).messageId);
        return;
      }
      case "react":
        return surface.react(resolvedRef(operation.on), operation.emoji);
      case "unreact":
        return surface.unreact(resolvedRef(operation.on), operation.emoji);
    }
  };

  /** Deliver the oldest operation; its file goes (or moves to rejected/) before it leaves `pending`. */
  const replayOldest = async (entry: Pending) => {
    try {
      await deliver(entry.operation);
    } catch (error) {
      if (closed) return;
      if (isTransient(error)) {
        failures += 1;
        return;
      }
      // An answer, even a refusal: the surface is reachable again.
      failures = 0;
      // Its posts go to the channel instead, as the bridge does when a thread cannot be made.
      if (entry.operation.op === "startThread")
        ids.threadRefused(entry.operation.placeholder, entry.operation.on.channelId);
      logger.log("error", "surface fallback: an operation was refused; moved to rejected/", {
        dir,
        file: entry.file,
        op: entry.operation.op,
        error: errorText(error),
      });
      await spool.reject(entry, errorText(error)).catch((moveError: unknown) =>
        logger.log("error", "surface fallback: could not move a file to rejected/", {
          file: entry.file,
          error: errorText(moveError),
        }),
      );
      unspool(entry);
      count("rejected");
      return;
    }
    failures = 0;
    await spool.remove(entry).catch((error: unknown) =>
      logger.log("error", "surface fallback: a delivered operation's file could not be removed", {
        file: entry.file,
        error: errorText(error),
      }),
    );
    unspool(entry);
    count("replayed");
    if (pending.length === 0)
      logger.log("info", "surface fallback: the surface is back; the file drop is replayed", {
        surface: surface.kind,
        dir,
        replayed: counts.replayed,
        rejected: counts.rejected,
      });
  };

  const replay = async () => {
    while (!closed && pending.length > 0) {
      if (failures > 0) await sleep(Math.min(maxMs, baseMs * 2 ** (failures - 1)));
      const entry = pending[0];
      if (closed || entry === undefined) return;
      if (!(await entry.written)) {
        unspool(entry);
        continue;
      }
      delivering = entry;
      try {
        await replayOldest(entry);
      } finally {
        delivering = undefined;
      }
    }
  };

  const startReplay = () => {
    if (loop || closed) return;
    loop = replay().finally(() => {
      loop = undefined;
      if (pending.length > 0) startReplay();
    });
  };

  /** Append an operation (synchronously, so calls keep their order); resolves once its file is written. */
  const enqueue = <T extends SpooledOperation>(make: (placeholder: string) => T): Promise<T> => {
    if (pending.length >= maxFiles) {
      count("dropped");
      if (!full) {
        full = true;
        logger.log("error", "surface fallback: the file drop is full; outgoing operations are dropped", {
          dir,
          maxFiles,
        });
      }
      return Promise.reject(
        new TroupeError(
          "SurfaceUnavailable",
          `the ${surface.kind} surface is down and its file drop is full`,
          {
            data: { dir, maxFiles },
          },
        ),
      );
    }
    const seq = nextSeq;
    nextSeq += 1;
    const operation = make(ids.for(seq));
    const write = spool.write(seq, operation);
    const stored: Pending = {
      seq,
      file: spoolFileName(seq, operation),
      operation,
      written: write.then(
        () => true,
        () => false,
      ),
    };
    pending.push(stored);
    count("spooled");
    logger.log("debug", "surface fallback: spooled", { seq, op: operation.op });
    startReplay();
    return write.then(
      () => operation,
      (error: unknown) => {
        unspool(stored);
        logger.log("error", "surface fallback: an operation could not be written to the file drop", {
          dir,
          op: operation.op,
          error: errorText(error),
        });
        throw new TroupeError(
          "SurfaceUnavailable",
          `the file drop ${dir} cannot be written: ${errorText(error)}`,
          {
            cause: error,
          },
        );
      },
    );
  };

  /** Call the surface, or spool: while anything is spooled, or when the call fails transiently. */
  const perform = async <T>(direct: () => Promise<T>, spooled: () => Promise<T>, signal?: AbortSignal) => {
    // Even after close(): what comes later stays behind what is spooled, for the next start.
    if (pending.length > 0) return spooled();
    try {
      return await direct();
    } catch (error) {
      if (signal?.aborted || !isTransient(error)) throw error;
      if (pending.length === 0)
        logger.log("warn", "surface fallback: outgoing calls fail; spooling them to the file drop", {
          surface: surface.kind,
          dir,
          error: errorText(error),
        });
      failures = Math.max(failures, 1);
      return spooled();
    }
  };

  const sameRef = (a: SurfaceMessageRef, b: SurfaceMessageRef) =>
    ids.real(a.channelId) === ids.real(b.channelId) && ids.real(a.messageId) === ids.real(b.messageId);
  /** A spooled, undelivered `react` of this emoji on this message. */
  const spooledReaction = (on: SurfaceMessageRef, emoji: string) =>
    pending.find(
      (entry) =>
        entry !== delivering &&
        entry.operation.op === "react" &&
        entry.operation.emoji === emoji &&
        sameRef(entry.operation.on, on),
    );

  /** A read of what only exists once the replay made it: `none` until then, else `read(real id)`. */
  const unlessSpooled = <T>(id: string, none: T, read: (real: string) => Promise<T>): Promise<T> => {
    const real = ids.real(id);
    return isPlaceholder(real) ? Promise.resolve(none) : read(real);
  };

  const wrapped: FileDropSurface = {
    kind: surface.kind,
    maxMessageChars: surface.maxMessageChars,
    dir,
    get spooling() {
      return pending.length > 0;
    },

    startThread: (on, name, signal) =>
      perform(
        () => surface.startThread(ids.realRef(on), name, signal),
        async () => {
          const operation = await enqueue((placeholder) => {
            ids.threadStarted(placeholder, on.channelId);
            return { op: "startThread" as const, on, name, placeholder };
          });
          return operation.placeholder;
        },
        signal,
      ),

    post: (channelId, post, signal) =>
      perform(
        async () => ({
          channelId,
          messageId: (await surface.post(ids.real(channelId), post, signal)).messageId,
        }),
        async () => {
          const fallbackChannelId = ids.parentOf(channelId);
          const operation = await enqueue((placeholder) => ({
            op: "post" as const,
            channelId,
            ...(fallbackChannelId === undefined ? {} : { fallbackChannelId }),
            post,
            placeholder,
          }));
          return { channelId, messageId: operation.placeholder };
        },
        signal,
      ),

    react: (on, emoji, signal) =>
      perform(
        () => surface.react(ids.realRef(on), emoji, signal),
        async () => {
          if (spooledReaction(on, emoji)) return;
          await enqueue(() => ({ op: "react" as const, on, emoji }));
        },
        signal,
      ),

    unreact: (on, emoji, signal) =>
      perform(
        () => surface.unreact(ids.realRef(on), emoji, signal),
        async () => {
          const cancelled = spooledReaction(on, emoji);
          if (cancelled) {
            // Added and removed before Discord saw either: neither is sent.
            unspool(cancelled);
            count("coalesced");
            if (await cancelled.written) await spool.remove(cancelled);
            return;
          }
          await enqueue(() => ({ op: "unreact" as const, on, emoji }));
        },
        signal,
      ),

    onMessage: (listener) => surface.onMessage((message) => listener(ids.inboundMessage(message))),
    ...(surface.onReaction
      ? {
          onReaction: (listener: (reaction: InboundReaction) => void) =>
            surface.onReaction!((reaction) => listener(ids.inboundReaction(reaction))),
        }
      : {}),
    ...(surface.roleIds ? { roleIds: (names: readonly string[]) => surface.roleIds!(names) } : {}),
    ...(surface.onCommand ? { onCommand: surface.onCommand.bind(surface) } : {}),
    ...(surface.onConnected ? { onConnected: surface.onConnected.bind(surface) } : {}),
    ...(surface.channelIds ? { channelIds: (names: readonly string[]) => surface.channelIds!(names) } : {}),
    ...(surface.messagesSince
      ? {
          messagesSince: async (
            channelId: string,
            options: { readonly after?: string; readonly since: number; readonly limit: number },
            signal?: AbortSignal,
          ) => {
            const missed = await surface.messagesSince!(channelId, options, signal);
            return { ...missed, messages: missed.messages.map((message) => ids.inboundMessage(message)) };
          },
        }
      : {}),
    // Reads go straight to the surface, on the real ids; what is still only spooled has nothing yet.
    ...(surface.history
      ? {
          history: (
            threadId: string,
            options: { readonly limit: number; readonly before?: string },
            signal?: AbortSignal,
          ) =>
            unlessSpooled(threadId, [], (real) =>
              surface.history!(
                real,
                options.before === undefined ? options : { ...options, before: ids.real(options.before) },
                signal,
              ),
            ),
        }
      : {}),
    ...(surface.pinned
      ? {
          pinned: (threadId: string, signal?: AbortSignal) =>
            unlessSpooled(threadId, [], (real) => surface.pinned!(real, signal)),
        }
      : {}),
    ...(surface.ownReactions
      ? {
          ownReactions: (on: SurfaceMessageRef, signal?: AbortSignal) =>
            unlessSpooled(on.messageId, [], () => surface.ownReactions!(ids.realRef(on), signal)),
        }
      : {}),
    ...(surface.reactionsOn
      ? {
          reactionsOn: (on: SurfaceMessageRef, emoji: string, signal?: AbortSignal) =>
            unlessSpooled(on.messageId, [], async () =>
              (await surface.reactionsOn!(ids.realRef(on), emoji, signal)).map((reaction) =>
                ids.inboundReaction(reaction),
              ),
            ),
        }
      : {}),

    stats: () => ({ ...counts, pending: pending.length }),

    drained: (signal) =>
      pending.length === 0 || signal?.aborted
        ? Promise.resolve()
        : calledOrAborted(signal, (done) => drainedWaiters.push(done)),

    async close(signal) {
      closed = true;
      wake?.();
      const running = loop;
      if (running) await calledOrAborted(signal, (done) => void running.finally(done));
      if (pending.length > 0)
        logger.log("info", "surface fallback: operations stay in the file drop for the next start", {
          dir,
          pending: pending.length,
        });
    },
  };

  options.metrics?.pending(pending.length);
  if (pending.length > 0) {
    logger.log("info", "surface fallback: replaying what an earlier run left in the file drop", {
      dir,
      pending: pending.length,
    });
    startReplay();
  }
  return wrapped;
};
