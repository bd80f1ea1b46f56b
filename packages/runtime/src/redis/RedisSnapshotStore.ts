// Saved actor state on Redis: the SnapshotStore port as one hash per namespace
// (`troupe:<namespace>:snapshots`, field = key, value = the JSON snapshot), so a machine-form agent's
// run or a fan-out join saved by one host is resumed by whichever host gets the task next.
import type { Redis } from "ioredis";
import type { SnapshotStore } from "../durable/SnapshotStore.ts";

/** A glob pattern that matches `prefix` literally followed by anything. */
const globPrefix = (prefix: string) => `${prefix.replace(/[*?[\]\\]/g, (char) => `\\${char}`)}*`;

export class RedisSnapshotStore implements SnapshotStore {
  readonly #redis: Redis;
  readonly #key: string;

  constructor(options: { redis: Redis; namespace: string }) {
    this.#redis = options.redis;
    this.#key = `troupe:${options.namespace}:snapshots`;
  }

  async load(key: string): Promise<unknown> {
    const json = await this.#redis.hget(this.#key, key);
    return json === null ? undefined : JSON.parse(json);
  }

  async save(key: string, snapshot: unknown): Promise<void> {
    await this.#redis.hset(this.#key, key, JSON.stringify(snapshot));
  }

  async delete(key: string): Promise<void> {
    await this.#redis.hdel(this.#key, key);
  }

  async keys(prefix: string): Promise<readonly string[]> {
    const found: string[] = [];
    let cursor = "0";
    do {
      const [next, entries] = await this.#redis.hscan(
        this.#key,
        cursor,
        "MATCH",
        globPrefix(prefix),
        "COUNT",
        500,
      );
      for (let index = 0; index < entries.length; index += 2) found.push(entries[index]!);
      cursor = next;
    } while (cursor !== "0");
    return found;
  }
}
