import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/**
 * The Lua scripts of the Redis store. Each runs atomically on the Redis server; every key a script
 * touches is passed in KEYS (never built inside Lua) so that Redis Cluster can route and check it.
 * Records are opaque JSON strings to Lua: it never decodes them (Redis' cjson turns `[]` into `{}`
 * and rounds numbers), so read-modify-write is done in Node and committed by compare-and-set.
 */

export type RedisClient = Redis | Cluster;

/** A script sent by SHA1, loaded on first use or after the server lost its script cache. */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  run(client: RedisClient, keys: string[], args: (string | number | Buffer)[]): Promise<unknown> {
    return this.exec(client, keys, args, false);
  }

  /** As run(), with bulk replies as Buffers (binary values). */
  runBuffer(client: RedisClient, keys: string[], args: (string | number | Buffer)[]): Promise<unknown> {
    return this.exec(client, keys, args, true);
  }

  private async exec(client: RedisClient, keys: string[], args: (string | number | Buffer)[], binary: boolean): Promise<unknown> {
    const call = (cmd: 'evalsha' | 'eval', head: string) => {
      const argv = [head, keys.length, ...keys, ...args] as const;
      // callBuffer() loses its command name under auto-pipelining (ioredis 6.0.0), so the binary
      // variants of the commands themselves are used; they exist at runtime but are not typed.
      if (binary) return (client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[`${cmd}Buffer`]!.call(client, ...argv);
      return client.call(cmd, ...argv);
    };
    try {
      return await call('evalsha', this.sha);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return call('eval', this.source);
    }
  }
}

/**
 * Shared Lua functions. put_jobs: groups of (id, dedupe key or '', dueAt, json); a job whose key is
 * taken is skipped (HSETNX makes a duplicate within one batch skip too).
 */
const PRELUDE = `
local function put_jobs(q, data, jkeys, ai, n)
  for j = 0, n - 1 do
    local b = ai + j * 4
    local id, key = ARGV[b], ARGV[b + 1]
    if key == '' or redis.call('HSETNX', jkeys, key, id) == 1 then
      redis.call('HSET', data, id, ARGV[b + 3])
      redis.call('ZADD', q, ARGV[b + 2], id)
    end
  end
end

-- KEYS[ki]: message, KEYS[ki+1]: body. ARGV[ai..ai+4]: message json, ttl, has body, body, body ttl.
local function put_content(ki, ai)
  if redis.call('EXISTS', KEYS[ki]) == 1 then
    return redis.error_reply('ERR message exists')
  end
  redis.call('SET', KEYS[ki], ARGV[ai], 'PX', ARGV[ai + 1])
  if ARGV[ai + 2] == '1' then
    redis.call('SET', KEYS[ki + 1], ARGV[ai + 3], 'PX', ARGV[ai + 4])
  end
  return false
end

-- Stream events (the state-change outbox): ARGV[ai] count, then one json each. Returns the next index.
local function put_events(s, ai)
  local n = tonumber(ARGV[ai])
  for e = 1, n do redis.call('XADD', s, '*', 'e', ARGV[ai + e]) end
  return ai + n + 1
end

-- KEYS[ki..ki+3]: counts, queue, job data, job keys; then per recipient: record, token, tid.
-- ARGV[ai..]: ttl, recipient count, job count, (id, state, json) per recipient, then the jobs.
-- Returns the index of the first ARGV after them.
local function put_records(ki, ai)
  local ttl = ARGV[ai]
  local n, m = tonumber(ARGV[ai + 1]), tonumber(ARGV[ai + 2])
  for r = 0, n - 1 do
    local k, a = ki + 4 + r * 3, ai + 3 + r * 3
    local rid, state = ARGV[a], ARGV[a + 1]
    redis.call('HSET', KEYS[k], 's', state, 'j', ARGV[a + 2])
    redis.call('PEXPIRE', KEYS[k], ttl)
    redis.call('SET', KEYS[k + 1], rid, 'PX', ttl)
    redis.call('SET', KEYS[k + 2], rid, 'PX', ttl)
    redis.call('HINCRBY', KEYS[ki], state, 1)
  end
  put_jobs(KEYS[ki + 1], KEYS[ki + 2], KEYS[ki + 3], ai + 3 + n * 3, m)
  return ai + 3 + n * 3 + m * 4
end

-- Submission keys (an originator's own id of a request, e.g. MM1 sender + transaction id).
-- KEYS[ki]: the key. ARGV[ai..ai+4]: in use ('1' or '0'), now (store clock), digest,
-- entry value ('expiry|digest|message id'), ttl. Returns the message id of a live entry and
-- whether its digest is this request's (a retransmission).
local function find_submission(ki, ai)
  if ARGV[ai] ~= '1' then return nil, false end
  local v = redis.call('GET', KEYS[ki])
  if not v then return nil, false end
  local exp, d, m = string.match(v, '^(%d+)|([^|]*)|(.*)$')
  -- the store clock decides, as for SMSC keys: Redis' own TTL runs on the server clock
  if not exp or tonumber(exp) < tonumber(ARGV[ai + 1]) then return nil, false end
  return m, d == ARGV[ai + 2]
end
local function put_submission(ki, ai)
  if ARGV[ai] == '1' then redis.call('SET', KEYS[ki], ARGV[ai + 3], 'PX', ARGV[ai + 4]) end
end

-- KEYS[ki]: counts, then per recipient: record, token, tid and its SMSC index keys.
-- ARGV[ai]: recipient count, then per recipient: id, SMSC key count.
local function del_records(ki, ai)
  local k = ki + 1
  for r = 0, tonumber(ARGV[ai]) - 1 do
    local rid, ns = ARGV[ai + 1 + r * 2], tonumber(ARGV[ai + 2 + r * 2])
    local state = redis.call('HGET', KEYS[k], 's')
    if state then redis.call('HINCRBY', KEYS[ki], state, -1) end
    redis.call('DEL', KEYS[k], KEYS[k + 1], KEYS[k + 2])
    for s = 1, ns do
      -- an SMSC id may have been reused for another recipient since: only drop our own entry
      local v = redis.call('GET', KEYS[k + 2 + s])
      if v and string.sub(v, -string.len(rid) - 1) == '|' .. rid then redis.call('DEL', KEYS[k + 2 + s]) end
    end
    k = k + 3 + ns
  end
end
`;

/**
 * The job queue (all keys share one hash tag, so every script below runs in one Cluster slot):
 *   scheduled  sorted set, job id -> due time; jobs waiting for their time
 *   data       hash, job id -> job json; a job exists as long as its entry here does
 *   stream     stream with consumer group GROUP; due jobs move here and are read per node
 *              (consumer = node id); an entry stays pending (PEL) until its job completes or retries
 *   inflight   hash, job id -> its stream entry id, so any node can settle any job
 *   cursor     where the last XAUTOCLAIM scan of the PEL stopped
 * Settled entries are XACKed and XDELed, so the stream only holds jobs being worked on.
 *
 * Leases are kept on the caller's clock: the delivery time of every entry a node takes is set to
 * the node's `now` (XCLAIM ... TIME), and XAUTOCLAIM's min-idle-time is the lease plus the
 * difference between the Redis clock and `now`. A job is therefore taken over once the node that
 * holds it has not settled it for leaseMs as the claiming node's clock sees it, whatever the
 * offset between node and Redis clocks (Redis clamps delivery times in its future to its own now,
 * which can only delay a takeover by that offset, never hand a job out early).
 */
const QUEUE = `
local GROUP = 'workers'
local function ensure_group(s)
  if redis.call('EXISTS', s) == 0 then redis.call('XGROUP', 'CREATE', s, GROUP, '0', 'MKSTREAM') end
end
-- removes a stream entry for good (pending or not)
local function drop_entry(s, eid)
  redis.call('XACK', s, GROUP, eid)
  redis.call('XDEL', s, eid)
end
-- the entry a job is being worked on under, if any, is settled
local function settle(s, inflight, id)
  local eid = redis.call('HGET', inflight, id)
  if eid then
    drop_entry(s, eid)
    redis.call('HDEL', inflight, id)
  end
end
-- removes a finished job; false if it was gone already (completed elsewhere)
local function complete_job(q, data, jkeys, s, inflight, id, key)
  if redis.call('HDEL', data, id) == 0 then return false end
  redis.call('ZREM', q, id)
  settle(s, inflight, id)
  if key ~= '' and redis.call('HGET', jkeys, key) == id then redis.call('HDEL', jkeys, key) end
  return true
end
`;

/**
 * Message, body, recipients, indexes, jobs, their stream events and the submission key in one step
 * (all keys reachable from one server). KEYS: message, body, submission key, event stream, then as
 * put_records. ARGV: as put_content, as find_submission, as put_records, then as put_events.
 * Returns {1} created, {1, id} created and took the key over from message id (another request
 * under the same key), {0, id} a retransmission of message id.
 */
export const CREATE = new LuaScript(`${PRELUDE}
local prior, same = find_submission(3, 6)
if same then return {0, prior} end
local err = put_content(1, 1)
if err then return err end
put_events(KEYS[4], put_records(5, 11))
put_submission(3, 6)
if prior then return {1, prior} end
return {1}`);

/** The message-slot half of CREATE (Redis Cluster with per-message slots). */
export const CREATE_CONTENT = new LuaScript(`${PRELUDE}
local err = put_content(1, 1)
if err then return err end
return 1`);

/**
 * The records-slot half of CREATE, with the submission key (it lives in the records' slot, like the
 * token and transaction-id indexes) and the events. KEYS: submission key, event stream, then as
 * put_records. ARGV: as find_submission, then as put_records, then as put_events. Returns as
 * CREATE; on {0, id} the caller removes the content it wrote first.
 */
export const CREATE_RECORDS = new LuaScript(`${PRELUDE}
local prior, same = find_submission(1, 1)
if same then return {0, prior} end
put_events(KEYS[2], put_records(3, 6))
put_submission(1, 1)
if prior then return {1, prior} end
return {1}`);

/** Recipients and indexes, then message and body. KEYS: message, body, then as del_records. */
export const PURGE = new LuaScript(`${PRELUDE}
del_records(3, 1)
redis.call('DEL', KEYS[1], KEYS[2])
return 1`);

export const PURGE_RECORDS = new LuaScript(`${PRELUDE}
del_records(1, 1)
return 1`);

/**
 * Compare-and-set of one recipient. KEYS: record, counts, queue, job data, job keys, stream,
 * inflight, event stream, then SMSC index keys. ARGV: expected json, new json, old state, new
 * state, ttl for index keys, SMSC index count, the index values, job count, jobs, then the id and
 * dedupe key of a claimed job to complete in the same step ('' and '' for none), then the change's
 * stream events (as put_events). Returns 1 done, 0 record gone, -1 changed meanwhile.
 */
export const CAS_RECIPIENT = new LuaScript(`${PRELUDE}${QUEUE}
local cur = redis.call('HGET', KEYS[1], 'j')
if not cur then return 0 end
if cur ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], 'j', ARGV[2], 's', ARGV[4])
if ARGV[3] ~= ARGV[4] then
  redis.call('HINCRBY', KEYS[2], ARGV[3], -1)
  redis.call('HINCRBY', KEYS[2], ARGV[4], 1)
end
local ns = tonumber(ARGV[6])
for s = 1, ns do
  redis.call('SET', KEYS[8 + s], ARGV[6 + s], 'PX', ARGV[5])
end
local m = tonumber(ARGV[7 + ns])
put_jobs(KEYS[3], KEYS[4], KEYS[5], 8 + ns, m)
local c = 8 + ns + m * 4
if ARGV[c] ~= '' then complete_job(KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], ARGV[c], ARGV[c + 1]) end
put_events(KEYS[8], c + 2)
return 1`);

/**
 * The state-change outbox (a stream in the records' slot): one consumer group per consumer name,
 * nodes are its members. Entries carry the event json in field 'e'.
 *
 * READ_EVENTS hands node `me` up to `limit` entries of group `g`: first its own unacknowledged
 * ones (a batch that failed half-way), then entries another member left unacknowledged for longer
 * than the lease (XAUTOCLAIM; a dead node's), then new ones. Leases run on the caller's clock as in
 * the job queue's CLAIM: every entry taken gets delivery time `now`. An entry trimmed away under
 * the retention cap while pending comes back without fields: it is acknowledged and skipped.
 * KEYS: stream. ARGV: group, me, limit, leaseMs, now, '1' to look for expired leases ('0': not
 * this time). Returns a flat list (id, json, ...).
 */
export const READ_EVENTS = new LuaScript(`
local s, g, me = KEYS[1], ARGV[1], ARGV[2]
local limit, lease, now = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local out, seen, taken = {}, {}, {}
local function take(e)
  if seen[e[1]] then return end
  seen[e[1]] = true
  if e[2] then
    out[#out + 1] = e[1]
    out[#out + 1] = e[2][2]
    taken[#taken + 1] = e[1]
  else
    redis.call('XACK', s, g, e[1])
  end
end
local r = redis.call('XREADGROUP', 'GROUP', g, me, 'COUNT', limit, 'STREAMS', s, '0')
if r and r[1] then for _, e in ipairs(r[1][2]) do take(e) end end
if #taken < limit and ARGV[6] == '1' then
  local t = redis.call('TIME')
  local minIdle = lease + tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - now
  if minIdle < 0 then minIdle = 0 end
  local c = redis.call('XAUTOCLAIM', s, g, me, minIdle, '0-0', 'COUNT', limit - #taken)
  for _, e in ipairs(c[2]) do take(e) end
end
if #taken < limit then
  local n = redis.call('XREADGROUP', 'GROUP', g, me, 'COUNT', limit - #taken, 'STREAMS', s, '>')
  if n and n[1] then for _, e in ipairs(n[1][2]) do take(e) end end
end
for b = 1, #taken, 500 do
  local args = { 'XCLAIM', s, g, me, 0 }
  for i = b, math.min(b + 499, #taken) do args[#args + 1] = taken[i] end
  args[#args + 1] = 'TIME'
  args[#args + 1] = now
  args[#args + 1] = 'JUSTID'
  redis.call(unpack(args))
end
return out`);

/**
 * Acknowledges entries of group ARGV[1] and applies each one's effects only if this XACK is the
 * one that took it off the pending list: an entry acknowledged before (by this node or by another
 * that claimed it) applies nothing, so effects happen exactly once.
 * KEYS: stream, queue, job data, job keys, then counter hashes. ARGV: group, entry count, then per
 * entry: id, job count, jobs (as put_jobs), counter count, then per counter: KEYS index, field,
 * delta, ttl (0 = none). Returns how many entries applied.
 */
export const ACK_EVENTS = new LuaScript(`${PRELUDE}
local s, g = KEYS[1], ARGV[1]
local a, applied = 3, 0
for _ = 1, tonumber(ARGV[2]) do
  local ok = redis.call('XACK', s, g, ARGV[a]) == 1
  local m = tonumber(ARGV[a + 1])
  if ok then put_jobs(KEYS[2], KEYS[3], KEYS[4], a + 2, m) end
  a = a + 2 + m * 4
  local c = tonumber(ARGV[a])
  a = a + 1
  for _ = 1, c do
    if ok then
      local k = KEYS[tonumber(ARGV[a])]
      redis.call('HINCRBY', k, ARGV[a + 1], ARGV[a + 2])
      if tonumber(ARGV[a + 3]) > 0 then redis.call('PEXPIRE', k, ARGV[a + 3]) end
    end
    a = a + 4
  end
  if ok then applied = applied + 1 end
end
return applied`);

/**
 * Counters applied once per marker: KEYS: marker, then counter hashes. ARGV: marker ttl, counter
 * count, then per counter: KEYS index, field, delta, ttl. Returns 1 applied, 0 seen before.
 */
export const APPLY_ONCE = new LuaScript(`
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 0 end
local a = 3
for _ = 1, tonumber(ARGV[2]) do
  local k = KEYS[tonumber(ARGV[a])]
  redis.call('HINCRBY', k, ARGV[a + 1], ARGV[a + 2])
  if tonumber(ARGV[a + 3]) > 0 then redis.call('PEXPIRE', k, ARGV[a + 3]) end
  a = a + 4
end
return 1`);

/** Content replaced and its event in one step. KEYS: message, body, event stream. ARGV: message json, body, event json. */
export const REPLACE = new LuaScript(`
redis.call('SET', KEYS[2], ARGV[2], 'KEEPTTL')
redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
redis.call('XADD', KEYS[3], '*', 'e', ARGV[3])
return 1`);

/** KEYS: queue, job data, job keys. ARGV: job count, jobs. */
export const SCHEDULE = new LuaScript(`${PRELUDE}
put_jobs(KEYS[1], KEYS[2], KEYS[3], 2, tonumber(ARGV[1]))
return 1`);


/**
 * Hands out up to `limit` jobs to consumer `me`: first entries whose lease ran out (XAUTOCLAIM,
 * continuing the PEL scan where the previous claim left it), then jobs due by `now`, moved from
 * the schedule into the stream and read with XREADGROUP. Jobs come back in stream order (due order
 * for new ones).
 * KEYS: scheduled, data, stream, inflight, cursor. ARGV: now, limit, leaseMs, consumer.
 */
export const CLAIM = new LuaScript(`${QUEUE}
local q, data, s, inflight, cur = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now, limit, lease, me = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
ensure_group(s)
local out, taken = {}, {}
local function take(e)
  -- e = { entry id, { 'j', job id } } (fields are nil for an entry deleted meanwhile)
  local id = e[2] and e[2][2]
  local json = id and redis.call('HGET', data, id)
  if json and redis.call('HGET', inflight, id) == e[1] then
    out[#out + 1] = json
    taken[#taken + 1] = e[1]
  else
    drop_entry(s, e[1])
  end
end

local t = redis.call('TIME')
local minIdle = lease + tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - now
if minIdle < 0 then minIdle = 0 end
local start = redis.call('GET', cur) or '0-0'
for _ = 1, 4 do
  local r = redis.call('XAUTOCLAIM', s, GROUP, me, minIdle, start, 'COUNT', limit - #out)
  start = r[1]
  for _, e in ipairs(r[2]) do take(e) end
  if start == '0-0' or #out >= limit then break end
end
if start == '0-0' then redis.call('DEL', cur) else redis.call('SET', cur, start) end

local want = limit - #out
if want > 0 then
  local ids = redis.call('ZRANGEBYSCORE', q, '-inf', now, 'LIMIT', 0, want)
  local n = 0
  for _, id in ipairs(ids) do
    redis.call('ZREM', q, id)
    if redis.call('HEXISTS', data, id) == 1 then
      settle(s, inflight, id)
      redis.call('HSET', inflight, id, redis.call('XADD', s, '*', 'j', id))
      n = n + 1
    end
  end
  if n > 0 then
    local r = redis.call('XREADGROUP', 'GROUP', GROUP, me, 'COUNT', n, 'STREAMS', s, '>')
    if r and r[1] then for _, e in ipairs(r[1][2]) do take(e) end end
  end
end

-- the lease of every entry taken runs from the caller's now
for b = 1, #taken, 500 do
  local args = { 'XCLAIM', s, GROUP, me, 0 }
  for i = b, math.min(b + 499, #taken) do args[#args + 1] = taken[i] end
  args[#args + 1] = 'TIME'
  args[#args + 1] = now
  args[#args + 1] = 'JUSTID'
  redis.call(unpack(args))
end
return out`);

/**
 * KEYS: scheduled, data, job keys, stream, inflight. ARGV: id, dedupe key or '', follow-up count,
 * follow-ups. Follow-ups are scheduled only by the completion that removed the job, so a job run
 * twice after a lease expiry does not schedule its follow-ups twice.
 */
export const COMPLETE = new LuaScript(`${PRELUDE}${QUEUE}
if not complete_job(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1], ARGV[2]) then return 0 end
put_jobs(KEYS[1], KEYS[2], KEYS[3], 4, tonumber(ARGV[3]))
return 1`);

/**
 * Back to the schedule with a new due time: XACK + XDEL of its entry, ZADD. No-op if the job was
 * completed. KEYS: scheduled, data, stream, inflight. ARGV: id, new due time, new json.
 */
export const RETRY = new LuaScript(`${QUEUE}
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
settle(KEYS[3], KEYS[4], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1`);

/**
 * Hands jobs back (a node stopping with claimed jobs unfinished): KEYS: scheduled, stream,
 * inflight. ARGV: consumer, then groups of (id, due time). A job goes back to the schedule only if
 * its entry is still pending with this consumer, i.e. it was not settled or taken over since.
 */
export const RELEASE = new LuaScript(`${QUEUE}
local n = 0
for b = 2, #ARGV, 2 do
  local eid = redis.call('HGET', KEYS[3], ARGV[b])
  if eid and #redis.call('XPENDING', KEYS[2], GROUP, eid, eid, 1, ARGV[1]) > 0 then
    settle(KEYS[2], KEYS[3], ARGV[b])
    redis.call('ZADD', KEYS[1], ARGV[b + 1], ARGV[b])
    n = n + 1
  end
end
return n`);

/**
 * Removes a consumer from a group only if it holds no pending entry (DELCONSUMER would drop them
 * from the PEL, and their jobs or events would never be handled). KEYS: stream. ARGV: consumer,
 * group (default: the job queue's).
 */
export const DROP_CONSUMER = new LuaScript(`${QUEUE}
local g = ARGV[2] or GROUP
if #redis.call('XPENDING', KEYS[1], g, '-', '+', 1, ARGV[1]) > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], g, ARGV[1])
return 1`);

/**
 * KEYS: entry (hash v, e). ARGV: value, expiry (store clock), now (store clock), Redis ttl.
 * Returns the live value if present, else stores ARGV[1] and returns nil.
 */
export const CACHE_SET_IF_ABSENT = new LuaScript(`
local cur = redis.call('HMGET', KEYS[1], 'v', 'e')
if cur[1] and cur[2] and tonumber(cur[2]) >= tonumber(ARGV[3]) then return cur[1] end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'e', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return false`);


/**
 * KEYS: entry (hash v, e). ARGV: delta, now (store clock), expiry (store clock), Redis ttl.
 * Adds to a live counter (keeping its window), else starts one; returns the new total.
 */
export const CACHE_ADD = new LuaScript(`
local e = redis.call('HGET', KEYS[1], 'e')
if e and tonumber(e) >= tonumber(ARGV[2]) then return redis.call('HINCRBY', KEYS[1], 'v', ARGV[1]) end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'e', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return tonumber(ARGV[1])`);

/**
 * A BatchWrite: compare-and-set on one entry, then deletions, puts and jobs, atomically. Entries are
 * hashes (v: value, e: expiry on the store clock) with a Redis TTL as the safety net.
 * KEYS: queue, job data, job keys, the expected entry (or any key when unused), then the entries
 * to delete, then those to put. ARGV: now, expect ('0' none, '1' absent, '2' equal), expected value,
 * delete count, put count, then per put: value, expiry, ttl; then job count and the jobs.
 */
export const BATCH_WRITE = new LuaScript(`${PRELUDE}
local now = tonumber(ARGV[1])
if ARGV[2] ~= '0' then
  local cur = redis.call('HMGET', KEYS[4], 'v', 'e')
  local live = cur[1] and cur[2] and tonumber(cur[2]) >= now
  if ARGV[2] == '1' then
    if live then return 0 end
  elseif not live or cur[1] ~= ARGV[3] then
    return 0
  end
end
local nd, np = tonumber(ARGV[4]), tonumber(ARGV[5])
for i = 1, nd do redis.call('DEL', KEYS[4 + i]) end
for i = 1, np do
  local k, a = KEYS[4 + nd + i], 6 + (i - 1) * 3
  redis.call('DEL', k)
  redis.call('HSET', k, 'v', ARGV[a], 'e', ARGV[a + 1])
  redis.call('PEXPIRE', k, ARGV[a + 2])
end
local j = 6 + np * 3
put_jobs(KEYS[1], KEYS[2], KEYS[3], j + 1, tonumber(ARGV[j]))
return 1`);
