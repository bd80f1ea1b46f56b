// What the surface bridge must remember to survive a restart or a SIGKILL. Per open task: the message
// it came from, its thread, its agent, the status reaction last applied, the final one wanted and
// whether the outcome was posted — written as the task moves and deleted once its outcome is posted
// and its final reaction applied. Per thread a task opened: its agent, channel and opening request, so
// a follow-up there after a restart still continues the task. Per channel the bridge reads: its
// cursor, the last message taken from it, so that what was written while the surface was not
// connected is read back from there. Kept in the host's SnapshotStore (used here as a key-value store
// under `surface/task/<taskId>`, `surface/thread/<threadId>` and `surface/cursor/<channelId>`), read
// once at start (a cursor when the catch-up first needs it).
import type { SnapshotStore } from "../durable/SnapshotStore.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
import type { ConversationTurn } from "../task/Task.ts";
import type { SurfaceMessageRef } from "./Surface.ts";

export interface SurfaceTaskEntry {
  readonly taskId: string;
  readonly message: SurfaceMessageRef;
  /** The thread's name, to start it when the task has none yet. */
  readonly threadName: string;
  readonly thread?: string;
  readonly agent?: string;
  /** The status reaction last applied on the message. */
  readonly reaction?: string;
  /** The status reaction the task ends with, once its outcome is known. */
  readonly final?: string;
  /** The outcome was posted in the thread. */
  readonly posted: boolean;
}

/** A thread opened for a task: what a follow-up in it needs. */
export interface SurfaceThreadEntry {
  readonly threadId: string;
  /** The opening task's agent, once it was known. */
  readonly agent?: string;
  readonly channel: string;
  readonly opening: ConversationTurn;
  /**
   * When the thread last saw work (opened, its task settled, a follow-up taken), ms since the epoch;
   * a catch-up reads back the threads active within its window. Absent in entries of older runs.
   */
  readonly activeAt?: number;
}

/**
 * How far the bridge has read a channel: after the message `after` (the last it took from there), or,
 * before it took any, everything written since `since` (ms since the epoch: when it started watching).
 */
export type ChannelCursor =
  | { readonly channelId: string; readonly after: string }
  | { readonly channelId: string; readonly since: number };

const PREFIX = "surface/task/";
const THREADS = "surface/thread/";
const CURSORS = "surface/cursor/";

const isEntry = (value: unknown): value is SurfaceTaskEntry =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as SurfaceTaskEntry).taskId === "string" &&
  typeof (value as SurfaceTaskEntry).message?.messageId === "string" &&
  typeof (value as SurfaceTaskEntry).message?.channelId === "string";

const isThread = (value: unknown): value is SurfaceThreadEntry =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as SurfaceThreadEntry).threadId === "string" &&
  typeof (value as SurfaceThreadEntry).channel === "string" &&
  typeof (value as SurfaceThreadEntry).opening?.content === "string" &&
  ((value as SurfaceThreadEntry).activeAt === undefined ||
    Number.isSafeInteger((value as SurfaceThreadEntry).activeAt));

const isCursor = (value: unknown, channelId: string): value is ChannelCursor =>
  typeof value === "object" &&
  value !== null &&
  (value as ChannelCursor).channelId === channelId &&
  (typeof (value as { after?: unknown }).after === "string" ||
    Number.isSafeInteger((value as { since?: unknown }).since));

/** Nothing is left to do for the task on the surface. */
const finished = (entry: SurfaceTaskEntry) =>
  entry.posted && entry.final !== undefined && entry.reaction === entry.final;

export class SurfaceTaskLedger {
  readonly #store: SnapshotStore;
  readonly #logger: Logger;
  readonly #entries = new Map<string, SurfaceTaskEntry>();
  readonly #threads = new Map<string, SurfaceThreadEntry>();
  readonly #cursors = new Map<string, ChannelCursor>();
  /** Each key's writes, one after the other, so the store ends with the latest. */
  readonly #writes = new Map<string, Promise<void>>();

  constructor(store: SnapshotStore, logger: Logger = silentLogger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** The tasks an earlier run left open (malformed entries are dropped). */
  load(): Promise<readonly SurfaceTaskEntry[]> {
    return this.#loadAll(
      PREFIX,
      (value, id): value is SurfaceTaskEntry => isEntry(value) && value.taskId === id,
      this.#entries,
      "task",
    );
  }

  /** The threads earlier runs opened for tasks (malformed entries are dropped). */
  loadThreads(): Promise<readonly SurfaceThreadEntry[]> {
    return this.#loadAll(
      THREADS,
      (value, id): value is SurfaceThreadEntry => isThread(value) && value.threadId === id,
      this.#threads,
      "thread",
    );
  }

  /** A thread was opened for a task (or its opening task's agent became known). */
  rememberThread(thread: SurfaceThreadEntry): void {
    this.#threads.set(thread.threadId, thread);
    this.#write(THREADS + thread.threadId, () => this.#threads.get(thread.threadId));
  }

  /**
   * The threads active since `since` whose tasks are all over: where a follow-up written while the
   * surface was not connected may wait (a thread with a task still open may hold answers to it).
   */
  quietThreadsSince(since: number): readonly SurfaceThreadEntry[] {
    const busy = new Set<string>();
    for (const entry of this.#entries.values()) if (entry.thread !== undefined) busy.add(entry.thread);
    return [...this.#threads.values()].filter(
      (thread) => thread.activeAt !== undefined && thread.activeAt >= since && !busy.has(thread.threadId),
    );
  }

  forgetThread(threadId: string): void {
    this.#threads.delete(threadId);
    this.#write(THREADS + threadId, () => this.#threads.get(threadId));
  }

  /** A channel's cursor: the latest one moved here, else the stored one (a malformed one is dropped). */
  async cursor(channelId: string): Promise<ChannelCursor | undefined> {
    const known = this.#cursors.get(channelId);
    if (known) return known;
    const key = CURSORS + channelId;
    const stored = await this.#store.load(key);
    if (stored === undefined || this.#cursors.has(channelId)) return this.#cursors.get(channelId);
    if (isCursor(stored, channelId)) {
      this.#cursors.set(channelId, stored);
      return stored;
    }
    this.#logger.log("warn", "surface: a malformed cursor record was dropped", { key });
    await this.#store.delete(key);
    return undefined;
  }

  /** The channel was read up to here. */
  moveCursor(cursor: ChannelCursor): void {
    this.#cursors.set(cursor.channelId, cursor);
    this.#write(CURSORS + cursor.channelId, () => this.#cursors.get(cursor.channelId));
  }

  async #loadAll<T>(
    prefix: string,
    valid: (value: unknown, id: string) => value is T,
    into: Map<string, T>,
    what: string,
  ): Promise<readonly T[]> {
    const loaded: T[] = [];
    for (const key of await this.#store.keys(prefix)) {
      const value = await this.#store.load(key);
      const id = key.slice(prefix.length);
      if (valid(value, id)) {
        into.set(id, value);
        loaded.push(value);
      } else {
        this.#logger.log("warn", `surface: a malformed ${what} record was dropped`, { key });
        await this.#store.delete(key);
      }
    }
    return loaded;
  }

  get(taskId: string): SurfaceTaskEntry | undefined {
    return this.#entries.get(taskId);
  }

  /** A new task on the surface. */
  open(entry: SurfaceTaskEntry): void {
    this.#entries.set(entry.taskId, entry);
    this.#writeTask(entry.taskId);
  }

  /** Something changed for a task; once nothing is left to do for it, it is deleted. */
  update(taskId: string, change: Partial<Omit<SurfaceTaskEntry, "taskId" | "message">>): void {
    const entry = this.#entries.get(taskId);
    if (!entry) return;
    const next = { ...entry, ...change };
    if (finished(next)) this.#entries.delete(taskId);
    else this.#entries.set(taskId, next);
    this.#writeTask(taskId);
  }

  /** Resolves once every write asked for so far is done. */
  async flushed(): Promise<void> {
    await Promise.all(this.#writes.values());
  }

  #writeTask(taskId: string): void {
    this.#write(PREFIX + taskId, () => this.#entries.get(taskId));
  }

  /** Save the key's latest value (`latest()` when the write runs), or delete it when there is none. */
  #write(key: string, latest: () => unknown): void {
    const write = (this.#writes.get(key) ?? Promise.resolve())
      .then(() => {
        // The latest state when this write runs: a burst of changes costs one write each, in order.
        const value = latest();
        return value === undefined ? this.#store.delete(key) : this.#store.save(key, value);
      })
      .catch((error: unknown) =>
        this.#logger.log("warn", "surface: a record could not be saved", {
          key,
          error: error instanceof Error ? error.message : String(error),
        }),
      );
    this.#writes.set(key, write);
    void write.finally(() => {
      if (this.#writes.get(key) === write) this.#writes.delete(key);
    });
  }
}
