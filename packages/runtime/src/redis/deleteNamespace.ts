// Remove everything a namespace keeps on Redis (queue, records, snapshots, idempotency keys), for
// tearing down a test or retiring a team. It scans by prefix; it never touches another namespace
// and never flushes the database.
import type { Redis } from "ioredis";

export const deleteNamespace = async (redis: Redis, namespace: string): Promise<void> => {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `troupe:${namespace}:*`, "COUNT", 1_000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
};
