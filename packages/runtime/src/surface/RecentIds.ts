// A bounded memory of ids seen lately: the gateway may deliver one message twice (a resume replays,
// a reconnect overlaps), and a message must start at most one task.

export class RecentIds {
  readonly #limit: number;
  readonly #ids = new Set<string>();

  constructor(limit = 10_000) {
    this.#limit = limit;
  }

  /** Whether the id was seen (within the last `limit` ids). */
  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** True the first time an id is seen (within the last `limit` ids); false for a repeat. */
  first(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.#limit) {
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
    return true;
  }
}
