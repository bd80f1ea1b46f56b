// The notifier's outbox on Redis, so every host on one Redis shares one outbox: an alert raised on
// any host (or mirrored to all of them) is stored once under its deterministic delivery ids, and
// whichever host's notifier claims a delivery sends it. Each change is one Lua script (atomic on
// the server): enqueue skips known ids, a claim leases with a fence, a settle checks the fence.
//
// Keys, all under `troupe:<namespace>:outbox:`
//   alert:<alertId>   the Alert as JSON (SET NX)
//   d:<id>            hash of one delivery: json (what was enqueued), status, fence, failures,
//                     failedOver, lastError, endedAt
//   ds:<alertId>      set of the alert's delivery ids (its sinks; pruning)
//   pending:<sink>    sorted set of pending ids by when they may be claimed (due time or lease end)
//   created:<sink>    sorted set of pending ids by creation (backlog age)
//   fallback          sorted set by due time of pending ids that may still fall back
//   held:<consumer>   set of ids a consumer has claimed (given back at once when it restarts)
//   sent              sorted set of sent ids by send time (pruned after a retention time)
//   dead              list of dead letters as JSON, newest first (capped), deadcount their number
//   holds             hash sink → SinkHold as JSON
//   kakao:tokens      hash sink → both Kakao tokens as one JSON value (written together)
//   lock:<name>       the cross-process Kakao refresh lock (SET NX PX, released by its owner only)
import { createHash, randomUUID } from "node:crypto";
import type { Alert } from "../notify/Alert.ts";
import type {
  ClaimOptions,
  DeadDelivery,
  Delivery,
  KakaoTokenStore,
  KakaoTokens,
  NewDelivery,
  OutboxStats,
  OutboxStore,
  Settle,
  SinkBacklog,
  SinkHold,
} from "../notify/OutboxStore.ts";
import { wholeMillis } from "../time/wholeMillis.ts";
import { Redis } from "./ioredis.ts";

export interface RedisOutboxStoreOptions {
  /** An ioredis client (used, never quit by close()) or a URL (own client, quit by close()). */
  readonly redis: Redis | string;
  readonly namespace: string;
  /** Dead letters kept in the list (default 10,000; the count keeps growing). */
  readonly maxDeadLetters?: number;
}

interface Script {
  readonly source: string;
  readonly sha: string;
}

const script = (source: string): Script => ({ source, sha: createHash("sha1").update(source).digest("hex") });

const ENQUEUE = script(`
local p = ARGV[1]
redis.call('SET', p .. 'alert:' .. ARGV[2], ARGV[3], 'NX')
local added = 0
for i = 4, #ARGV, 6 do
  local id, sink, json, due, created, fallback = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  local key = p .. 'd:' .. id
  if redis.call('EXISTS', key) == 0 then
    redis.call('HSET', key, 'json', json, 'status', 'pending', 'fence', 0, 'failures', 0, 'failedOver', 0)
    redis.call('ZADD', p .. 'pending:' .. sink, due, id)
    redis.call('ZADD', p .. 'created:' .. sink, created, id)
    if fallback == '1' then redis.call('ZADD', p .. 'fallback', due, id) end
    redis.call('SADD', p .. 'ds:' .. ARGV[2], id)
    added = added + 1
  end
end
return added
`);

const CLAIM = script(`
local p, sink, consumer = ARGV[1], ARGV[2], ARGV[6]
local now, max, lease = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
-- Scores carry the chunk as a fraction of a millisecond: everything due by now is below now + 1
-- (written with all its digits: Lua's own number-to-text keeps only 14).
local below = string.format('(%.17g', now + 1)
local ids = redis.call('ZRANGEBYSCORE', p .. 'pending:' .. sink, '-inf', below, 'LIMIT', 0, max)
local out = {}
for _, id in ipairs(ids) do
  local key = p .. 'd:' .. id
  local fence = redis.call('HINCRBY', key, 'fence', 1)
  local previous = redis.call('HGET', key, 'holder')
  if previous and previous ~= consumer then redis.call('SREM', p .. 'held:' .. previous, id) end
  redis.call('HSET', key, 'holder', consumer)
  redis.call('SADD', p .. 'held:' .. consumer, id)
  redis.call('ZADD', p .. 'pending:' .. sink, now + lease, id)
  local f = redis.call('HMGET', key, 'json', 'failures', 'failedOver', 'lastError')
  out[#out + 1] = { id, fence, f[1], f[2], f[3], f[4] or '' }
end
return out
`);

const SETTLE = script(`
local p, now, maxDead = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 4, #ARGV, 5 do
  local id, fence, kind, a, b = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local key = p .. 'd:' .. id
  local st = redis.call('HMGET', key, 'status', 'fence', 'json')
  if st[1] ~= 'pending' or tonumber(st[2]) ~= fence then
    out[#out + 1] = 0
  else
    local d = cjson.decode(st[3])
    local pending, created = p .. 'pending:' .. d.sink, p .. 'created:' .. d.sink
    local holder = redis.call('HGET', key, 'holder')
    if holder and (kind == 'sent' or kind == 'dead') then redis.call('SREM', p .. 'held:' .. holder, id) end
    if kind == 'sent' then
      redis.call('HSET', key, 'status', 'sent', 'endedAt', now)
      redis.call('ZREM', pending, id)
      redis.call('ZREM', created, id)
      redis.call('ZREM', p .. 'fallback', id)
      redis.call('ZADD', p .. 'sent', now, id)
    elseif kind == 'release' then
      redis.call('ZADD', pending, tonumber(a), id)
    elseif kind == 'retry' then
      redis.call('HINCRBY', key, 'failures', 1)
      redis.call('HSET', key, 'lastError', b)
      redis.call('ZADD', pending, tonumber(a), id)
    else
      local failures = redis.call('HINCRBY', key, 'failures', 1)
      redis.call('HSET', key, 'status', 'dead', 'lastError', a, 'endedAt', now)
      redis.call('ZREM', pending, id)
      redis.call('ZREM', created, id)
      redis.call('ZREM', p .. 'fallback', id)
      redis.call('LPUSH', p .. 'dead', cjson.encode({ id = id, alertId = d.alertId, sink = d.sink,
        severity = d.severity, title = d.title, failures = failures, error = a, at = now }))
      redis.call('LTRIM', p .. 'dead', 0, maxDead - 1)
      redis.call('INCR', p .. 'deadcount')
    end
    out[#out + 1] = 1
  end
end
return out
`);

const PRUNE = script(`
local p, before = ARGV[1], tonumber(ARGV[2])
local ids = redis.call('ZRANGEBYSCORE', p .. 'sent', '-inf', '(' .. before, 'LIMIT', 0, 1000)
for _, id in ipairs(ids) do
  local json = redis.call('HGET', p .. 'd:' .. id, 'json')
  redis.call('DEL', p .. 'd:' .. id)
  redis.call('ZREM', p .. 'sent', id)
  if json then
    local alertId = cjson.decode(json).alertId
    redis.call('SREM', p .. 'ds:' .. alertId, id)
    if redis.call('SCARD', p .. 'ds:' .. alertId) == 0 then redis.call('DEL', p .. 'alert:' .. alertId) end
  end
end
return #ids
`);

const RELEASE_HELD = script(`
local p, consumer, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local released = 0
for _, id in ipairs(redis.call('SMEMBERS', p .. 'held:' .. consumer)) do
  local key = p .. 'd:' .. id
  local f = redis.call('HMGET', key, 'status', 'holder', 'json')
  if f[1] == 'pending' and f[2] == consumer then
    local sink = cjson.decode(f[3]).sink
    local score = redis.call('ZSCORE', p .. 'pending:' .. sink, id)
    if score and tonumber(score) > now then
      redis.call('ZADD', p .. 'pending:' .. sink, now, id)
      released = released + 1
    end
  else
    redis.call('SREM', p .. 'held:' .. consumer, id)
  end
end
return released
`);

const UNLOCK = script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

const NAMESPACE = /^[A-Za-z0-9._-]+$/;

/** A delivery as stored: its times in whole milliseconds, as every adapter keeps them. */
const stored = (d: NewDelivery): NewDelivery => ({
  ...d,
  dueAt: wholeMillis(d.dueAt, "dueAt"),
  createdAt: wholeMillis(d.createdAt, "createdAt"),
});

export class RedisOutboxStore implements OutboxStore, KakaoTokenStore {
  readonly #redis: Redis;
  readonly #ownsClient: boolean;
  readonly #prefix: string;
  readonly #maxDead: number;

  constructor(options: RedisOutboxStoreOptions) {
    if (!NAMESPACE.test(options.namespace))
      throw new RangeError(`namespace must be letters, digits, ".", "_" or "-", got "${options.namespace}"`);
    this.#ownsClient = typeof options.redis === "string";
    this.#redis = typeof options.redis === "string" ? new Redis(options.redis) : options.redis;
    this.#prefix = `troupe:${options.namespace}:outbox:`;
    this.#maxDead = options.maxDeadLetters ?? 10_000;
  }

  async #run(lua: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.#redis.evalsha(lua.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("NOSCRIPT"))
        return this.#redis.eval(lua.source, keys.length, ...keys, ...args);
      throw error;
    }
  }

  async enqueue(alert: Alert, deliveries: readonly NewDelivery[]): Promise<number> {
    const args: (string | number)[] = [this.#prefix, alert.alertId, JSON.stringify(alert)];
    for (const d of deliveries.map(stored)) {
      // Chunks of one alert keep their order among equal due times.
      args.push(
        d.id,
        d.sink,
        JSON.stringify(d),
        d.dueAt + Math.min(d.chunk, 9_999) / 10_000,
        d.createdAt,
        d.fallback ? "1" : "0",
      );
    }
    return Number(await this.#run(ENQUEUE, [], args));
  }

  async enqueueMany(
    items: readonly { alert: Alert; deliveries: readonly NewDelivery[] }[],
  ): Promise<number[]> {
    // Each alert is one script (atomic on its own); sent together, they share the round trips.
    return Promise.all(items.map(({ alert, deliveries }) => this.enqueue(alert, deliveries)));
  }

  async alert(alertId: string): Promise<Alert | undefined> {
    const json = await this.#redis.get(`${this.#prefix}alert:${alertId}`);
    return json === null ? undefined : (JSON.parse(json) as Alert);
  }

  async releaseHeld(consumer: string, now: number): Promise<number> {
    return Number(await this.#run(RELEASE_HELD, [], [this.#prefix, consumer, wholeMillis(now, "now")]));
  }

  async claim(sink: string, { consumer, max, leaseMs, now }: ClaimOptions): Promise<Delivery[]> {
    const at = wholeMillis(now, "now");
    const lease = wholeMillis(leaseMs, "leaseMs");
    const rows = (await this.#run(CLAIM, [], [this.#prefix, sink, at, max, lease, consumer])) as [
      string,
      number,
      string,
      string,
      string,
      string,
    ][];
    return rows.map(([, fence, json, failures, failedOver, lastError]) =>
      this.#delivery(json, { fence: Number(fence), failures, failedOver, lastError }),
    );
  }

  #delivery(
    json: string,
    state: {
      fence: number | string;
      failures: string | null;
      failedOver: string | null;
      lastError: string | null;
    },
  ): Delivery {
    const d = JSON.parse(json) as NewDelivery;
    return {
      ...d,
      fence: Number(state.fence),
      failures: Number(state.failures ?? 0),
      failedOver: state.failedOver === "1",
      ...(state.lastError ? { lastError: state.lastError } : {}),
    };
  }

  async settle(items: readonly Settle[], now: number): Promise<boolean[]> {
    if (items.length === 0) return [];
    const args: (string | number)[] = [this.#prefix, wholeMillis(now, "now"), this.#maxDead];
    for (const { id, fence, outcome } of items) {
      switch (outcome.kind) {
        case "sent":
          args.push(id, fence, "sent", "", "");
          break;
        case "release":
          args.push(id, fence, "release", wholeMillis(outcome.dueAt, "dueAt"), "");
          break;
        case "retry":
          args.push(id, fence, "retry", wholeMillis(outcome.dueAt, "dueAt"), outcome.error);
          break;
        case "dead":
          args.push(id, fence, "dead", outcome.error, "");
          break;
      }
    }
    const results = (await this.#run(SETTLE, [], args)) as number[];
    return results.map((result) => Number(result) === 1);
  }

  async #load(ids: readonly string[]): Promise<Delivery[]> {
    if (ids.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of ids)
      pipeline.hmget(
        `${this.#prefix}d:${id}`,
        "json",
        "fence",
        "failures",
        "failedOver",
        "lastError",
        "status",
      );
    const rows = (await pipeline.exec()) ?? [];
    const out: Delivery[] = [];
    for (const [error, row] of rows) {
      const [json, fence, failures, failedOver, lastError, status] = (row ?? []) as (string | null)[];
      if (error || !json || status !== "pending") continue;
      out.push(
        this.#delivery(json, {
          fence: fence ?? 0,
          failures: failures ?? null,
          failedOver: failedOver ?? null,
          lastError: lastError ?? null,
        }),
      );
    }
    return out;
  }

  async fallbackCandidates(options: {
    readonly dueBefore: number;
    readonly down: readonly string[];
    readonly limit: number;
  }): Promise<Delivery[]> {
    const key = `${this.#prefix}fallback`;
    const overdue = await this.#redis.zrangebyscore(
      key,
      "-inf",
      options.dueBefore,
      "LIMIT",
      0,
      options.limit,
    );
    const ids = new Set(overdue);
    // A sink that is down: its pending deliveries that may still fall back (those in `fallback`).
    for (const sink of options.down) {
      if (ids.size >= options.limit) break;
      const pending = await this.#redis.zrange(`${this.#prefix}pending:${sink}`, "0", "4999");
      if (pending.length === 0) continue;
      const scores = await this.#redis.zmscore(key, ...pending);
      for (const [index, id] of pending.entries())
        if (scores[index] !== null && ids.size < options.limit) ids.add(id);
    }
    return (await this.#load([...ids])).filter((delivery) => !delivery.failedOver);
  }

  async markFailedOver(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const multi = this.#redis.multi();
    for (const id of ids) {
      multi.hset(`${this.#prefix}d:${id}`, "failedOver", "1");
      multi.zrem(`${this.#prefix}fallback`, id);
    }
    await multi.exec();
  }

  async sinksOf(alertId: string): Promise<string[]> {
    // Each id is `<alertId>/<sink>/<chunk>`, and the alert id may hold slashes of its own.
    const ids = await this.#redis.smembers(`${this.#prefix}ds:${alertId}`);
    return [...new Set(ids.map((id) => id.slice(alertId.length + 1, id.lastIndexOf("/"))))].sort();
  }

  async nextDueAt(sink: string): Promise<number | undefined> {
    const [, score] = await this.#redis.zrange(`${this.#prefix}pending:${sink}`, "0", "0", "WITHSCORES");
    return score === undefined ? undefined : Math.floor(Number(score));
  }

  async deadLetters(limit = 100): Promise<DeadDelivery[]> {
    const rows = await this.#redis.lrange(`${this.#prefix}dead`, 0, limit - 1);
    return rows.map((row) => JSON.parse(row) as DeadDelivery);
  }

  async stats(sinks: readonly string[]): Promise<OutboxStats> {
    const pipeline = this.#redis.pipeline();
    for (const sink of sinks) {
      pipeline.zcard(`${this.#prefix}pending:${sink}`);
      pipeline.zrange(`${this.#prefix}created:${sink}`, "0", "0", "WITHSCORES");
    }
    pipeline.get(`${this.#prefix}deadcount`);
    const rows = (await pipeline.exec()) ?? [];
    const out: Record<string, SinkBacklog> = {};
    sinks.forEach((sink, index) => {
      const pending = Number(rows[index * 2]?.[1] ?? 0);
      const oldest = (rows[index * 2 + 1]?.[1] ?? []) as string[];
      out[sink] = { pending, oldestCreatedAt: oldest[1] === undefined ? undefined : Number(oldest[1]) };
    });
    return { sinks: out, dead: Number(rows[sinks.length * 2]?.[1] ?? 0) };
  }

  async holds(): Promise<SinkHold[]> {
    const all = await this.#redis.hgetall(`${this.#prefix}holds`);
    return Object.keys(all)
      .sort()
      .map((sink) => JSON.parse(all[sink]!) as SinkHold);
  }

  async setHold(hold: SinkHold): Promise<void> {
    await this.#redis.hset(`${this.#prefix}holds`, hold.sink, JSON.stringify(hold));
  }

  async clearHold(sink: string): Promise<void> {
    await this.#redis.hdel(`${this.#prefix}holds`, sink);
  }

  async prune(before: number): Promise<number> {
    let total = 0;
    for (;;) {
      const pruned = Number(await this.#run(PRUNE, [], [this.#prefix, before]));
      total += pruned;
      if (pruned < 1_000) return total;
    }
  }

  async loadTokens(sink: string): Promise<KakaoTokens | undefined> {
    const json = await this.#redis.hget(`${this.#prefix}kakao:tokens`, sink);
    return json === null ? undefined : (JSON.parse(json) as KakaoTokens);
  }

  async saveTokens(sink: string, tokens: KakaoTokens): Promise<void> {
    await this.#redis.hset(`${this.#prefix}kakao:tokens`, sink, JSON.stringify(tokens));
  }

  async acquireRefreshLock(
    sink: string,
    ttlMs: number,
    waitMs: number,
  ): Promise<(() => Promise<void>) | undefined> {
    const key = `${this.#prefix}lock:kakao-refresh:${sink}`;
    const owner = randomUUID();
    const deadline = Date.now() + waitMs;
    for (;;) {
      if ((await this.#redis.set(key, owner, "PX", Math.max(1, wholeMillis(ttlMs, "ttlMs")), "NX")) === "OK")
        return async () => {
          await this.#run(UNLOCK, [key], [owner]);
        };
      if (Date.now() >= deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
