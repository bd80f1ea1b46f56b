// Where actor state that must outlive a restart is kept: XState persisted snapshots, by key (a
// machine-form agent's running task is saved under its task id after every step, spawned and
// invoked children included, and restored when the task is delivered again after a crash).
export interface SnapshotStore {
  load(key: string): Promise<unknown>;
  save(key: string, snapshot: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** The keys that start with `prefix` (to find what must be resumed after a restart). */
  keys(prefix: string): Promise<readonly string[]>;
}

/** A SnapshotStore in memory: for tests, or for a team whose tasks need not survive the process. */
export class MemorySnapshotStore implements SnapshotStore {
  readonly #snapshots = new Map<string, string>();

  async load(key: string): Promise<unknown> {
    const json = this.#snapshots.get(key);
    return json === undefined ? undefined : JSON.parse(json);
  }

  async save(key: string, snapshot: unknown): Promise<void> {
    this.#snapshots.set(key, JSON.stringify(snapshot));
  }

  async delete(key: string): Promise<void> {
    this.#snapshots.delete(key);
  }

  async keys(prefix: string): Promise<readonly string[]> {
    return [...this.#snapshots.keys()].filter((key) => key.startsWith(prefix));
  }

  get size(): number {
    return this.#snapshots.size;
  }
}
