// What the surface bridge must remember of its open tasks to survive a restart or a SIGKILL: per task
// the message it came from, its thread, its agent, the status reaction last applied, the final one
// wanted and whether the outcome was posted. Kept in the host's SnapshotStore (used here as a
// key-value store under `surface/task/<taskId>`), written as the task moves and deleted once its
// outcome is posted and its final reaction applied; read once at start to reconcile.
import type { SnapshotStore } from "../durable/SnapshotStore.ts";
import { type Logger, silentLogger } from "../log/Logger.ts";
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

const PREFIX = "surface/task/";

const isEntry = (value: unknown): value is SurfaceTaskEntry =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as SurfaceTaskEntry).taskId === "string" &&
  typeof (value as SurfaceTaskEntry).message?.messageId === "string" &&
  typeof (value as SurfaceTaskEntry).message?.channelId === "string";

/** Nothing is left to do for the task on the surface. */
const finished = (entry: SurfaceTaskEntry) =>
  entry.posted && entry.final !== undefined && entry.reaction === entry.final;

export class SurfaceTaskLedger {
  readonly #store: SnapshotStore;
  readonly #logger: Logger;
  readonly #entries = new Map<string, SurfaceTaskEntry>();
  /** Each task's writes, one after the other, so the store ends with the latest. */
  readonly #writes = new Map<string, Promise<void>>();

  constructor(store: SnapshotStore, logger: Logger = silentLogger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** The tasks an earlier run left open (malformed entries are dropped). */
  async load(): Promise<readonly SurfaceTaskEntry[]> {
    const loaded: SurfaceTaskEntry[] = [];
    for (const key of await this.#store.keys(PREFIX)) {
      const value = await this.#store.load(key);
      if (isEntry(value) && key === PREFIX + value.taskId) {
        this.#entries.set(value.taskId, value);
        loaded.push(value);
      } else {
        this.#logger.log("warn", "surface: a malformed task record was dropped", { key });
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
    this.#write(entry.taskId);
  }

  /** Something changed for a task; once nothing is left to do for it, it is deleted. */
  update(taskId: string, change: Partial<Omit<SurfaceTaskEntry, "taskId" | "message">>): void {
    const entry = this.#entries.get(taskId);
    if (!entry) return;
    const next = { ...entry, ...change };
    if (finished(next)) this.#entries.delete(taskId);
    else this.#entries.set(taskId, next);
    this.#write(taskId);
  }

  /** Resolves once every write asked for so far is done. */
  async flushed(): Promise<void> {
    await Promise.all(this.#writes.values());
  }

  #write(taskId: string): void {
    const key = PREFIX + taskId;
    const write = (this.#writes.get(taskId) ?? Promise.resolve())
      .then(() => {
        // The latest state when this write runs: a burst of changes costs one write each, in order.
        const entry = this.#entries.get(taskId);
        return entry ? this.#store.save(key, entry) : this.#store.delete(key);
      })
      .catch((error: unknown) =>
        this.#logger.log("warn", "surface: the task's record could not be saved", {
          taskId,
          error: error instanceof Error ? error.message : String(error),
        }),
      );
    this.#writes.set(taskId, write);
    void write.finally(() => {
      if (this.#writes.get(taskId) === write) this.#writes.delete(taskId);
    });
  }
}
