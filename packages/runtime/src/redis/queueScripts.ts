// The Lua scripts of the Redis work queue. Each state change of a task (enqueue, delivery, finish,
// retry, burial, renewal, repair) is one script, so it happens atomically on the Redis server: a
// fence check and the write it guards can never be split by another consumer's command, and a
// process killed mid-call leaves either all of a change or none of it.
//
// Scripts run with EVALSHA and fall back to EVAL when Redis does not know them yet (first use, or
// after a restart emptied its script cache). Time is always Redis's own (`TIME`), so hosts with
// skewed clocks agree on lease idle times, backoff due times and task ages.
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { TASK_ID_LUA_PATTERN, TASK_ID_MAX_LENGTH, TASK_ID_RULE } from "../task/taskLimits.ts";

export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

export const script = (name: string, body: string): LuaScript => {
  const source = `${PRELUDE}\n${body}`;
  return { name, source, sha: createHash("sha1").update(source).digest("hex") };
};

/** Run a script by its SHA, loading it with EVAL when Redis answers NOSCRIPT. */
export const runScript = async (
  redis: Redis,
  lua: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> => {
  try {
    return await redis.evalsha(lua.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("NOSCRIPT"))
      return redis.eval(lua.source, keys.length, ...keys, ...args);
    throw error;
  }
};

const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Stream ids compare as (milliseconds, sequence).
local function parse_id(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function id_before(a, b)
  local ams, aseq = parse_id(a)
  local bms, bseq = parse_id(b)
  return ams < bms or (ams == bms and aseq < bseq)
end
-- Records of tasks that ended before \`before\` are deleted, a hundred at a time.
local function forget_ended(ended, prefix, before)
  local old = redis.call('ZRANGEBYSCORE', ended, '-inf', before, 'LIMIT', 0, 100)
  if #old == 0 then return end
  local keys = {}
  for i, id in ipairs(old) do keys[i] = prefix .. id end
  redis.call('DEL', unpack(keys))
  redis.call('ZREM', ended, unpack(old))
end
-- The lease a caller holds is still current: the task is leased and its fence is the caller's.
local function holds(key, fence)
  local rec = redis.call('HMGET', key, 'status', 'fence', 'entry')
  if rec[1] == 'leased' and rec[2] == fence then return rec[3] end
  return nil
end
`;

/**
 * Enqueue a batch of tasks (the calls made in one tick), each once.
 * KEYS open, queue · ARGV maxLength, task key prefix, then id and input (JSON) per task.
 * Per task: 1 enqueued · 0 the id is already known (nothing done) · -1 refused: maxLength unfinished tasks.
 */
export const ENQUEUE = script(
  "enqueue",
  `
local open, queue, prefix = KEYS[1], KEYS[2], ARGV[2]
local max = tonumber(ARGV[1])
local size = redis.call('ZCARD', open)
local now = now_ms()
local out, added = {}, {}
for i = 3, #ARGV, 2 do
  local id, input = ARGV[i], ARGV[i + 1]
  local key = prefix .. id
  if size >= max then
    out[#out + 1] = redis.call('EXISTS', key) == 1 and 0 or -1
  elseif redis.call('HSETNX', key, 'input', input) == 0 then
    out[#out + 1] = 0
  else
    -- No status or fence yet: a record without them is queued and never delivered. Its entry is
    -- not written down (one write less per task): a withdrawal finds it from its time in \`open\`.
    redis.call('XADD', queue, '*', 'task', id, 'input', input)
    added[#added + 1] = now
    added[#added + 1] = id
    size = size + 1
    out[#out + 1] = 1
  end
end
if #added > 0 then redis.call('ZADD', open, unpack(added)) end
return out
`,
);

/**
 * Deliver up to `room` tasks to one consumer, in the order of the WorkQueue port.
 * KEYS queue, delayed, open, dead
 * ARGV group, consumer, room, resumeFrom ('' skips step 1), reclaimFrom ('' skips step 2),
 *      leaseMs, task key prefix, maxDead, maxTaskBytes
 * An entry another program added with an id off the task id pattern (taskLimits.ts) or an input
 * over maxTaskBytes is buried as malformed, its input not copied into the dead-letter stream.
 * Returns { {lastId, nextDueInMs or -1, reclaim cursor, resumedTo, resumedCount, stale}, deliveries }
 * where deliveries is a flat list of five values per entry: 'L', taskId, input, fence, attempt for a
 * lease, or 'M', entryId, taskId, reason, '' for a malformed entry that was buried.
 */
export const TAKE = script(
  "take",
  `
local queue, delayed, open, dead = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group, consumer, prefix, maxDead = ARGV[1], ARGV[2], ARGV[7], ARGV[8]
local room, maxBytes = tonumber(ARGV[3]), tonumber(ARGV[9])
local now = now_ms()
local out, stale = {}, 0

-- An entry no task can come from: acknowledged, deleted, and kept in the dead-letter stream.
local function bury_malformed(entryId, taskId, reason, fields)
  redis.call('XACK', queue, group, entryId)
  redis.call('XDEL', queue, entryId)
  redis.call('XADD', dead, 'MAXLEN', '~', maxDead, '*', 'task', taskId, 'input', cjson.encode(fields),
    'attempts', 1, 'error', cjson.encode({ tag = 'InvalidTask', reason = reason }), 'at', now)
  local n = #out
  out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5] = 'M', entryId, taskId, reason, ''
end

-- Lease the task of one delivered entry: a new fence and attempt, or drop the entry if it is stale.
local function claim(entryId, fields)
  if not fields then -- deleted while pending: nothing left to deliver
    redis.call('XACK', queue, group, entryId)
    stale = stale + 1
    return
  end
  local id, entryInput
  for i = 1, #fields, 2 do
    local name = fields[i]
    if name == 'task' then id = fields[i + 1] elseif name == 'input' then entryInput = fields[i + 1] end
  end
  if type(id) ~= 'string' or id == '' then
    return bury_malformed(entryId, 'malformed:' .. entryId,
      'malformed stream entry ' .. entryId .. ': it has no "task" field', fields)
  end
  if #id > ${TASK_ID_MAX_LENGTH} or not string.find(id, '${TASK_ID_LUA_PATTERN}') then
    return bury_malformed(entryId, 'malformed:' .. entryId, 'malformed stream entry ' .. entryId ..
      ': its task id is not ${TASK_ID_RULE}', { 'task', cjson.encode(id), 'input', '(not kept)' })
  end
  if entryInput and #entryInput > maxBytes then
    return bury_malformed(entryId, id, 'malformed stream entry ' .. entryId .. ' for task ' .. id ..
      ': its input is ' .. #entryInput .. ' bytes, over the limit of ' .. maxBytes ..
      ' bytes (TROUPE_MAX_TASK_BYTES)', { 'task', id, 'input', '(' .. #entryInput .. ' bytes, not kept)' })
  end
  local key = prefix .. id
  local rec = redis.call('HMGET', key, 'status', 'entry', 'input', 'fence', 'attempts')
  local status, entry, input = rec[1], rec[2], rec[3]
  local fence, attempt = tonumber(rec[4]) or 0, tonumber(rec[5]) or 0
  if not input then
    input = entryInput
    if not input then
      return bury_malformed(entryId, id, 'malformed stream entry ' .. entryId .. ' for task ' .. id ..
        ': it has no "input" field and the task has no record', fields)
    end
    -- Written straight onto the stream by another producer: the task gets its record now.
    redis.call('ZADD', open, tonumber(string.match(entryId, '^(%d+)')) or now, id)
    redis.call('HSET', key, 'input', input)
  elseif (status and status ~= 'queued' and status ~= 'leased') or (entry and entry ~= entryId) then
    -- A leftover: the task was queued again under another entry (repair) or has ended.
    redis.call('XACK', queue, group, entryId)
    redis.call('XDEL', queue, entryId)
    stale = stale + 1
    return
  end
  fence, attempt = fence + 1, attempt + 1
  redis.call('HSET', key, 'status', 'leased', 'consumer', consumer, 'fence', fence, 'attempts', attempt,
    'entry', entryId)
  room = room - 1
  local n = #out
  out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5] = 'L', id, input, fence, attempt
end

-- 1. This consumer's own pending entries, once per handle: a restarted process finishes its work.
local resumedTo, resumed = '', 0
if ARGV[4] ~= '' and room > 0 then
  local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', room, 'STREAMS', queue, ARGV[4])
  local entries = (r and r[1] and r[1][2]) or {}
  resumed = #entries
  for _, e in ipairs(entries) do
    resumedTo = e[1]
    claim(e[1], e[2])
  end
end
-- 2. Entries idle for leaseMs or more: their holder died, or stopped renewing (paused, cut off).
local cursor = ''
if ARGV[5] ~= '' and room > 0 then
  local r = redis.call('XAUTOCLAIM', queue, group, consumer, ARGV[6], ARGV[5], 'COUNT', room)
  cursor = r[1]
  for _, e in ipairs(r[2]) do claim(e[1], e[2]) end
end
-- 3. Retries whose backoff has passed go back onto the stream (read in step 4 with the new work).
for _, id in ipairs(redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 100)) do
  local key = prefix .. id
  local rec = redis.call('HMGET', key, 'status', 'input')
  if rec[1] == 'delayed' then
    local entry = redis.call('XADD', queue, '*', 'task', id, 'input', rec[2])
    redis.call('HSET', key, 'status', 'queued', 'entry', entry)
  end
  redis.call('ZREM', delayed, id)
end
-- 4. New entries.
if room > 0 then
  local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', room, 'STREAMS', queue, '>')
  if r then
    for _, e in ipairs(r[1][2]) do claim(e[1], e[2]) end
  end
end
-- When to look again: the next retry's due time, and the newest entry to wait behind.
local nextDue = -1
local first = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
if first[2] then nextDue = math.max(0, tonumber(first[2]) - now) end
local last = redis.call('XREVRANGE', queue, '+', '-', 'COUNT', 1)
local lastId = (last[1] and last[1][1]) or '0-0'
return { { lastId, nextDue, cursor, resumedTo, resumed, stale }, out }
`,
);

/**
 * Finish a batch of leases (the calls made in one tick).
 * KEYS queue, open, ended · ARGV group, retainMs, task key prefix, then per lease: id, fence,
 * status, field ('output', 'error' or '' for none), value. Per lease: 1 accepted · 0 fenced.
 *
 * The finished entries leave the stream: XTRIM MINID drops every entry before the oldest one still
 * pending (or, with none pending, every delivered entry) — whole stream nodes at a time, the cheap
 * path when work finishes roughly in order — and an entry finished out of order (behind a longer
 * task) is deleted on its own with XDEL.
 */
export const FINISH = script(
  "finish",
  `
local queue, open, ended, group, prefix = KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[3]
local now = now_ms()
local out, entries, ids, scored = {}, {}, {}, {}
for i = 4, #ARGV, 5 do
  local id, field = ARGV[i], ARGV[i + 3]
  local key = prefix .. id
  local entry = holds(key, ARGV[i + 1])
  if entry then
    entries[#entries + 1] = entry
    ids[#ids + 1] = id
    scored[#scored + 1] = now
    scored[#scored + 1] = id
    if field == '' then
      redis.call('HSET', key, 'status', ARGV[i + 2], 'endedAt', now)
    else
      redis.call('HSET', key, 'status', ARGV[i + 2], 'endedAt', now, field, ARGV[i + 4])
    end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
if #entries > 0 then
  redis.call('XACK', queue, group, unpack(entries))
  redis.call('ZREM', open, unpack(ids))
  redis.call('ZADD', ended, unpack(scored))
  forget_ended(ended, prefix, now - tonumber(ARGV[2]))
  -- Everything before keep is delivered and acknowledged: done with.
  local keep
  local pending = redis.call('XPENDING', queue, group)
  if pending[1] > 0 then
    keep = pending[2]
  else
    for _, g in ipairs(redis.call('XINFO', 'GROUPS', queue)) do
      local info = {}
      for j = 1, #g, 2 do info[g[j]] = g[j + 1] end
      if info['name'] == group then
        local ms, seq = parse_id(info['last-delivered-id'])
        keep = ms .. '-' .. (seq + 1)
      end
    end
  end
  if keep then redis.call('XTRIM', queue, 'MINID', keep) end
  local later = {}
  for _, entry in ipairs(entries) do
    if not keep or not id_before(entry, keep) then later[#later + 1] = entry end
  end
  if #later > 0 then redis.call('XDEL', queue, unpack(later)) end
end
return out
`,
);

/** KEYS task, queue, delayed · ARGV fence, error (JSON), delayMs, group, id. 1 accepted · 0 fenced. */
export const RETRY = script(
  "retry",
  `
local entry = holds(KEYS[1], ARGV[1])
if not entry then return 0 end
redis.call('XACK', KEYS[2], ARGV[4], entry)
redis.call('XDEL', KEYS[2], entry)
redis.call('ZADD', KEYS[3], now_ms() + tonumber(ARGV[3]), ARGV[5])
redis.call('HSET', KEYS[1], 'status', 'delayed', 'error', ARGV[2])
return 1
`,
);

/**
 * KEYS task, queue, open, dead, ended · ARGV fence, error (JSON), group, id, retainMs, maxDead,
 * task key prefix.
 * 1 accepted · 0 fenced.
 */
export const BURY = script(
  "bury",
  `
local entry = holds(KEYS[1], ARGV[1])
if not entry then return 0 end
local now = now_ms()
redis.call('XACK', KEYS[2], ARGV[3], entry)
redis.call('XDEL', KEYS[2], entry)
local rec = redis.call('HMGET', KEYS[1], 'input', 'attempts')
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], '*', 'task', ARGV[4], 'input', rec[1],
  'attempts', rec[2], 'error', ARGV[2], 'at', now)
redis.call('HSET', KEYS[1], 'status', 'dead', 'error', ARGV[2], 'endedAt', now)
redis.call('ZREM', KEYS[3], ARGV[4])
redis.call('ZADD', KEYS[5], now, ARGV[4])
forget_ended(KEYS[5], ARGV[7], now - tonumber(ARGV[5]))
return 1
`,
);

/**
 * Cancel a task that is still waiting: its entry (if it has one on the stream) and its retry are
 * dropped, and a delivery of a leftover entry finds it ended and skips it.
 * KEYS task, queue, open, delayed, ended · ARGV error (JSON), id, retainMs, task key prefix.
 * 'withdrawn' · 'running' (leased) · 'ended' · 'unknown'.
 */
export const WITHDRAW = script(
  "withdraw",
  `
local rec = redis.call('HMGET', KEYS[1], 'input', 'status', 'entry')
if not rec[1] then return 'unknown' end
local status = rec[2] or 'queued'
if status == 'leased' then return 'running' end
if status ~= 'queued' and status ~= 'delayed' then return 'ended' end
local now = now_ms()
local entry = rec[3]
if not entry and status == 'queued' then
  -- Enqueued and never delivered: its entry was added at or after its time in \`open\` (stream ids
  -- never go back), within a moment of it; look there for the entry naming this task.
  local since = tonumber(redis.call('ZSCORE', KEYS[3], ARGV[2]))
  local from, last = since and string.format('%d', since), since and since + 60000
  while from do
    local entries = redis.call('XRANGE', KEYS[2], from, '+', 'COUNT', 100)
    from = #entries == 100 and '(' .. entries[#entries][1] or nil
    for _, e in ipairs(entries) do
      if tonumber(string.match(e[1], '^(%d+)')) > last then
        from = nil
        break
      end
      local fields = e[2]
      for i = 1, #fields, 2 do
        if fields[i] == 'task' and fields[i + 1] == ARGV[2] then entry = e[1] end
      end
      if entry then
        from = nil
        break
      end
    end
  end
end
if entry then redis.call('XDEL', KEYS[2], entry) end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'error', ARGV[1], 'endedAt', now)
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[2])
redis.call('ZADD', KEYS[5], now, ARGV[2])
forget_ended(KEYS[5], ARGV[4], now - tonumber(ARGV[3]))
return 'withdrawn'
`,
);

/**
 * Reset the entry's idle time (XCLAIM to the same consumer, min-idle 0) if the lease is current.
 * KEYS task, queue · ARGV fence, consumer, group. 1 renewed · 0 taken over.
 */
export const RENEW = script(
  "renew",
  `
local entry = holds(KEYS[1], ARGV[1])
if not entry then return 0 end
local claimed = redis.call('XCLAIM', KEYS[2], ARGV[3], ARGV[2], 0, entry, 'JUSTID')
if #claimed == 0 then return 0 end
redis.call('HSET', KEYS[1], 'consumer', ARGV[2])
return 1
`,
);

/**
 * Re-create the consumer group after it vanished (Redis flushed, or restarted without persistence,
 * or the stream deleted). KEYS queue · ARGV group. -1 the group existed (nothing done) · 0 created.
 */
export const CREATE_GROUP = script(
  "create-group",
  `
local created = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
if type(created) == 'table' and created.err then
  if string.find(created.err, 'BUSYGROUP', 1, true) then return -1 end
  return redis.error_reply(created.err)
end
return 0
`,
);

/**
 * After CREATE_GROUP: queue again the unfinished tasks whose stream entry is gone, one bounded batch
 * of the open set per run (in enqueue-time order), so no run blocks Redis for long however many tasks
 * are open. A task visited twice is left alone the second time (its entry exists by then).
 * KEYS queue, open, delayed · ARGV task key prefix, fromScore, offset (members at fromScore already
 * seen), batch size. Returns { queued again, next fromScore, next offset, 1 when the pass is over }.
 */
export const REQUEUE_LOST = script(
  "requeue-lost",
  `
local prefix, fromScore, offset, batch = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local page = redis.call('ZRANGEBYSCORE', KEYS[2], fromScore, '+inf', 'WITHSCORES', 'LIMIT', offset, batch)
local requeued, lastScore, atLast = 0, fromScore, offset
for i = 1, #page, 2 do
  local id, score = page[i], page[i + 1]
  if score == lastScore then atLast = atLast + 1 else lastScore, atLast = score, 1 end
  local key = prefix .. id
  local rec = redis.call('HMGET', key, 'status', 'entry', 'input')
  if not rec[3] then
    redis.call('ZREM', KEYS[2], id) -- its record is gone too: nothing left to run
    atLast = atLast - 1
  elseif not rec[1] or rec[1] == 'queued' or rec[1] == 'leased' then
    if not rec[2] or #redis.call('XRANGE', KEYS[1], rec[2], rec[2]) == 0 then
      local entry = redis.call('XADD', KEYS[1], '*', 'task', id, 'input', rec[3])
      redis.call('HSET', key, 'status', 'queued', 'entry', entry)
      requeued = requeued + 1
    end
  elseif rec[1] == 'delayed' and not redis.call('ZSCORE', KEYS[3], id) then
    redis.call('ZADD', KEYS[3], 0, id) -- its backoff was lost with the sorted set: due now
    requeued = requeued + 1
  end
end
return { requeued, lastScore, atLast, #page < batch * 2 and 1 or 0 }
`,
);

/**
 * KEYS queue, delayed, dead, open · ARGV group.
 * { stream length, pending, delayed, dead, oldest enqueuedAt or -1, now }
 */
export const STATS = script(
  "stats",
  `
local pending = redis.call('XPENDING', KEYS[1], ARGV[1])
local oldest = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
return { redis.call('XLEN', KEYS[1]), pending[1], redis.call('ZCARD', KEYS[2]), redis.call('XLEN', KEYS[3]),
  oldest[2] and tonumber(oldest[2]) or -1, now_ms() }
`,
);
