import { createHash, randomUUID } from 'node:crypto'
import calculateSlot from 'cluster-key-slot'
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis'
import { auditShard, auditShards, compareIds, flatFields, matchesName, parseEntry, type AuditEntry, type AuditRecord, type HistoryQuery } from '../audit.js'
import { MAX_VALUE_LENGTH } from '../keys.js'
import { within } from '../within.js'
import { WRONG_TYPE, type Change, type ChangeListener, type PancakeStore } from './store.js'

/** An ioredis client: a single server (also through Sentinel) or a cluster. */
export type RedisClient = Redis | Cluster

/** The pub/sub channel on which every write announces what it changed. */
export const CHANGES_CHANNEL = 'fastify-pancake:changes'

// Each script is one round trip and runs atomically: the write, its
// announcement on CHANGES_CHANNEL and its audit entry happen together or not
// at all. Writes run the commands that can fail on a wrongly typed key
// first, so a failed script has changed nothing. After a write's own ARGV
// come the channel, the writer's origin id and its sequence number; an
// audited write then has the audit stream as its last key, and as its last
// ARGV the stream's length and the entry's fields, names and values.
const ANNOUNCE = `
local function announce(at, set, del)
  local change = { o = ARGV[at + 1], s = tonumber(ARGV[at + 2]) }
  if set then change.set = set end
  if del then change.del = del end
  redis.call('PUBLISH', ARGV[at], cjson.encode(change))
end
`
// No valid value is anywhere near this long. One that is (junk written by
// hand, megabytes of it) comes back as a short marker with its length and
// first bytes: never sent whole, kept in the near-cache or re-read every
// `staleness`. The marker, like any value that long, does not parse.
const MAX_READ_LENGTH = 1024

// \`audited(n)\` checks, before anything is written, that the stream key
// (KEYS[n + 1] when present) is free or a stream; \`audit\` appends the entry.
const AUDIT = `${ANNOUNCE}
local function audited(n)
  if #KEYS <= n then return false end
  local t = redis.call('TYPE', KEYS[n + 1]).ok
  if t ~= 'none' and t ~= 'stream' then return redis.error_reply('WRONGTYPE the audit stream ' .. KEYS[n + 1] .. ' holds a ' .. t) end
  return true
end
local function before(key)
  local v = redis.pcall('GET', key)
  if type(v) ~= 'string' then return false end
  if #v > ${MAX_READ_LENGTH} then return '\\0TOOLONG:' .. #v .. ':' .. string.sub(v, 1, ${MAX_VALUE_LENGTH}) end
  return v
end
local function audit(n, at, old, new, count)
  local args = { KEYS[n + 1], 'MAXLEN', '~', ARGV[at], '*' }
  for i = at + 1, #ARGV do args[#args + 1] = ARGV[i] end
  if old then args[#args + 1] = 'before'; args[#args + 1] = old end
  if new then args[#args + 1] = 'after'; args[#args + 1] = new end
  if count then args[#args + 1] = 'count'; args[#args + 1] = tostring(count) end
  redis.call('XADD', unpack(args))
end
`

// \`split(list, from, to)\`: the items from \`from\` to \`to\` (-1: the last)
// that start with ARGV[1], a flag's own object-key prefix, and the others.
const MINE = `
local function split(list, from, to)
  local mine, others = {}, {}
  if to < 0 then to = #list end
  for i = from, to do
    local item = list[i]
    if string.sub(item, 1, #ARGV[1]) == ARGV[1] then mine[#mine + 1] = item else others[#others + 1] = item end
  end
  return mine, others
end
`

const SCRIPTS = {
  // KEYS: init keys then plain keys; ARGV[1]: number of init keys, then
  // their values, then the marker for a wrongly typed key.
  pancakeRead: `
local n = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  if i <= n then redis.call('SETNX', KEYS[i], ARGV[i + 1]) end
  local v = redis.pcall('GET', KEYS[i])
  if type(v) == 'table' and v.err then v = ARGV[n + 2] end
  if type(v) == 'string' and #v > ${MAX_READ_LENGTH} then v = '\\0TOOLONG:' .. #v .. ':' .. string.sub(v, 1, ${MAX_VALUE_LENGTH}) end
  out[i] = v
end
return out`,
  pancakeSet: `${AUDIT}
local a = audited(1)
if type(a) == 'table' then return a end
if a then audit(1, 5, before(KEYS[1]), ARGV[1]) end
redis.call('SET', KEYS[1], ARGV[1])
announce(2, { [KEYS[1]] = ARGV[1] }, nil)
return 1`,
  pancakeDelete: `${AUDIT}
local a = audited(1)
if type(a) == 'table' then return a end
if a then audit(1, 4, before(KEYS[1]), false) end
redis.call('DEL', KEYS[1])
announce(1, nil, { KEYS[1] })
return 1`,
  pancakeSetTracked: `${AUDIT}
local a = audited(2)
if type(a) == 'table' then return a end
local old = before(KEYS[1])
redis.call('SADD', KEYS[2], KEYS[1])
if a then audit(2, 5, old, ARGV[1]) end
redis.call('SET', KEYS[1], ARGV[1])
announce(2, { [KEYS[1]] = ARGV[1] }, nil)
return 1`,
  pancakeDeleteTracked: `${AUDIT}
local a = audited(2)
if type(a) == 'table' then return a end
local old = before(KEYS[1])
redis.call('SREM', KEYS[2], KEYS[1])
if a then audit(2, 4, old, false) end
redis.call('DEL', KEYS[1])
announce(1, nil, { KEYS[1] })
return 1`,
  // A clear of a group. ARGV[1]: the prefix of the keys it may delete,
  // then the announcement; returns the members left alone.
  pancakeClearTracked: `${AUDIT}${MINE}
local a = audited(1)
if type(a) == 'table' then return a end
local mine, others = split(redis.call('SMEMBERS', KEYS[1]), 1, -1)
if a then audit(1, 5, false, false, #mine) end
for i = 1, #mine, 1000 do
  redis.call('DEL', unpack(mine, i, math.min(i + 999, #mine)))
end
redis.call('DEL', KEYS[1])
if #mine > 0 then announce(2, nil, mine) end
return others`,
  // A cluster's clear of a group, last step, in the tracking set's slot:
  // KEYS[1] the tracking set; ARGV the prefix of the keys deleted, the
  // channel, origin, sequence, the number of members, then every member
  // (all leave the set; those with the prefix, deleted before, are
  // counted and announced).
  pancakeUntrack: `${AUDIT}${MINE}
local a = audited(1)
if type(a) == 'table' then return a end
local n = tonumber(ARGV[5])
for i = 6, 5 + n, 1000 do
  redis.call('SREM', KEYS[1], unpack(ARGV, i, math.min(i + 999, 5 + n)))
end
local mine = split(ARGV, 6, 5 + n)
if a then
  -- The entry's fields follow the members.
  local args = { KEYS[2], 'MAXLEN', '~', ARGV[6 + n], '*' }
  for i = 7 + n, #ARGV do args[#args + 1] = ARGV[i] end
  args[#args + 1] = 'count'; args[#args + 1] = tostring(#mine)
  redis.call('XADD', unpack(args))
end
if #mine > 0 then announce(2, nil, mine) end
return #mine`,
  // An entry for a change made without the library, once however many
  // processes see it. KEYS[1]: the stream; KEYS[2]: the mark of this change
  // seen; ARGV: how long the mark lasts, the stream's length, the fields.
  pancakeAudit: `
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return 0 end
local t = redis.call('TYPE', KEYS[1]).ok
if t ~= 'none' and t ~= 'stream' then return redis.error_reply('WRONGTYPE the audit stream ' .. KEYS[1] .. ' holds a ' .. t) end
local args = { KEYS[1], 'MAXLEN', '~', ARGV[2], '*' }
for i = 3, #ARGV do args[#args + 1] = ARGV[i] end
redis.call('XADD', unpack(args))
return 1`
} as const

type ScriptName = keyof typeof SCRIPTS
type Scripts = Record<ScriptName, (...args: Array<string | number>) => Promise<unknown>>

export interface RedisStoreOptions {
  /**
   * The longest wait, in ms, between two attempts to reconnect after the
   * connection is lost (default 1000): how soon after Redis is back the
   * store answers again, whatever back-off the client passed in uses.
   */
  reconnectDelay?: number
}

// How long a first connection is waited for by a command sent before it is
// made, and how long closing waits for Redis to answer QUIT, in ms.
const CONNECT_WAIT = 2000
const QUIT_WAIT = 1000

/**
 * The shared store: flask-pancake's key layout in Redis, through an ioredis
 * client. Its Lua scripts are registered on the client with `defineCommand`,
 * so each operation is a single EVALSHA, and every write is announced on
 * {@link CHANGES_CHANNEL} so that near-caches of other processes follow.
 *
 * Commands go over connections of the store's own, made from the client
 * (`duplicate()`: the same server, Sentinel or cluster, and credentials):
 * they never wait in an offline queue and are never sent again after a
 * reconnect, so a write that was reported failed is not applied later by
 * the client, and they reconnect on the store's schedule
 * ({@link RedisStoreOptions.reconnectDelay}), not the client's back-off.
 * The client itself is left as it is; the store's connections close when
 * the store does, or when the client ends.
 *
 * On a Redis Cluster, a script may only touch keys of one hash slot, and
 * flask-pancake's keys (which cannot change) spread over many. Reads are
 * then split by slot and sent together; a write of an override and its
 * tracking set becomes two ordered steps, ordered so that a failure between
 * them leaves at worst a tracked key without a value, which every reader
 * treats as no override.
 */
export class RedisStore implements PancakeStore {
  readonly kind = 'redis'
  /** The client the store was given; its own connections are duplicates of it. */
  readonly client: RedisClient
  /** Identifies this store's writes in announcements. */
  readonly origin = randomUUID()
  readonly #scripts: Scripts
  readonly #ownsClient: boolean
  readonly #cluster: boolean
  readonly #reconnectDelay: number
  /** Where reads and writes go. */
  readonly #connection: RedisClient
  /** The connections of {@link subscribe}, to close with the store (and to {@link sync}). */
  readonly #subscribers = new Set<RedisClient>()
  /** The one wait for the connection that {@link whenAvailable} callers share. */
  #ready: Promise<void> | undefined
  readonly #clientEnded = (): void => { this.close().catch(() => {}) }
  #seq = 0
  readonly #knownShards = new Set<string>()

  /**
   * @param client the ioredis client to use.
   * @param ownsClient whether {@link close} quits the client: true only when
   *   the library created it.
   */
  constructor (client: RedisClient, ownsClient = false, options: RedisStoreOptions = {}) {
    this.client = client
    this.#ownsClient = ownsClient
    this.#cluster = (client as Cluster).isCluster === true
    this.#reconnectDelay = options.reconnectDelay ?? 1000
    this.#connection = this.#duplicate({ enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 0 })
    // Without numberOfKeys: each call passes its number of keys first.
    for (const [name, lua] of Object.entries(SCRIPTS)) this.#connection.defineCommand(name, { lua })
    this.#scripts = this.#connection as unknown as Scripts
    client.once('end', this.#clientEnded)
  }

  /** The connection reads and writes go over: the store's own duplicate of {@link client}. */
  get connection (): RedisClient {
    return this.#connection
  }

  /** Whether a command would be sent now; when not, it fails at once. */
  available (): boolean {
    if (this.#connection.status !== 'ready') return false
    // On a cluster, a command for a node not connected yet would be refused.
    return !this.#cluster || (this.#connection as Cluster).nodes('all').every((node) => node.status === 'ready')
  }

  async whenAvailable (ms: number): Promise<boolean> {
    if (this.available()) return true
    // A connection that was lost is an outage: do not wait for the reconnect.
    if (['reconnecting', 'close', 'end'].includes(this.#connection.status)) return false
    const connection = this.#connection
    this.#ready ??= (async () => {
      if (connection.status !== 'ready') await readyOf(connection)
      await this.#nodesConnected()
    })().finally(() => { this.#ready = undefined })
    return await within(this.#ready.then(() => true), ms, () => new Error('not connected')).catch(() => false)
  }

  /** On a cluster, connects every node now rather than at its first command, and waits for them. */
  async #nodesConnected (): Promise<void> {
    if (!this.#cluster) return
    await Promise.all((this.#connection as Cluster).nodes('all').map(async (node) => {
      if (node.status === 'ready') return
      if (node.status === 'wait') node.connect().catch(() => {})
      await readyOf(node)
    }))
  }

  async read (init: ReadonlyArray<readonly [string, string]>, keys: readonly string[]): Promise<Array<string | null>> {
    if (!this.#cluster) return await this.#read(init, keys)
    const keyAt = (at: number): string => at < init.length ? (init[at] as readonly [string, string])[0] : keys[at - init.length] as string
    const positions = Array.from({ length: init.length + keys.length }, (_, at) => at)
    const values = new Array<string | null>(positions.length)
    await Promise.all([...bySlot(positions, keyAt).values()].map(async (slot) => {
      // Positions ascend and init keys come first, so one slot's values come
      // back in the order of its positions.
      const slotInit = slot.filter((at) => at < init.length).map((at) => init[at] as readonly [string, string])
      const slotKeys = slot.filter((at) => at >= init.length).map(keyAt)
      const slotValues = await this.#read(slotInit, slotKeys)
      slot.forEach((at, n) => { values[at] = slotValues[n] ?? null })
    }))
    return values
  }

  async #read (init: ReadonlyArray<readonly [string, string]>, keys: readonly string[]): Promise<Array<string | null>> {
    const total = init.length + keys.length
    if (total === 0) return []
    await this.#connected()
    const args: Array<string | number> = [total]
    for (const [key] of init) args.push(key)
    args.push(...keys, init.length)
    for (const [, value] of init) args.push(value)
    args.push(WRONG_TYPE)
    return await this.#scripts.pancakeRead(...args) as Array<string | null>
  }

  async set (key: string, value: string, audit?: AuditRecord): Promise<void> {
    await this.#connected()
    const stream = await this.#stream(audit, key)
    await this.#scripts.pancakeSet(...keysOf([key], stream), value, ...this.#announcement(), ...auditArgs(audit))
  }

  async delete (key: string, audit?: AuditRecord): Promise<void> {
    await this.#connected()
    const stream = await this.#stream(audit, key)
    await this.#scripts.pancakeDelete(...keysOf([key], stream), ...this.#announcement(), ...auditArgs(audit))
  }

  async setTracked (key: string, trackingKey: string, value: string, audit?: AuditRecord): Promise<void> {
    await this.#connected()
    if (this.#sameSlot(key, trackingKey)) {
      const stream = await this.#stream(audit, key)
      await this.#scripts.pancakeSetTracked(...keysOf([key, trackingKey], stream), value, ...this.#announcement(), ...auditArgs(audit))
    } else {
      await this.#connection.sadd(trackingKey, key)
      await this.set(key, value, audit)
    }
  }

  async deleteTracked (key: string, trackingKey: string, audit?: AuditRecord): Promise<void> {
    await this.#connected()
    if (this.#sameSlot(key, trackingKey)) {
      const stream = await this.#stream(audit, key)
      await this.#scripts.pancakeDeleteTracked(...keysOf([key, trackingKey], stream), ...this.#announcement(), ...auditArgs(audit))
    } else {
      await this.delete(key, audit)
      await this.#connection.srem(trackingKey, key)
    }
  }

  async clearTracked (trackingKey: string, keyPrefix: string, audit?: AuditRecord): Promise<string[]> {
    await this.#connected()
    if (!this.#cluster) {
      return await this.#scripts.pancakeClearTracked(...keysOf([trackingKey], audit?.stream), keyPrefix, ...this.#announcement(), ...auditArgs(audit)) as string[]
    }
    // The overrides spread over many slots: deleted first, slot by slot,
    // then taken out of the set with the audit entry in one step, in the
    // set's slot. A failure in between leaves members without a value,
    // which read as no override, and the clear can be run again.
    const members = await this.#connection.smembers(trackingKey)
    const mine = members.filter((key) => key.startsWith(keyPrefix))
    await Promise.all([...bySlot(mine, (key) => key).values()].map(async (slotKeys) => await this.#connection.del(...slotKeys)))
    const stream = await this.#stream(audit, trackingKey)
    await this.#scripts.pancakeUntrack(...keysOf([trackingKey], stream), keyPrefix, ...this.#announcement(), members.length, ...members, ...auditArgs(audit))
    return members.filter((key) => !key.startsWith(keyPrefix))
  }

  async appendAudit (audit: AuditRecord, key: string, after: string | null): Promise<void> {
    await this.#connected()
    const stream = await this.#stream(audit, key) as string
    const fields = flatFields(audit.fields)
    if (after !== null) fields.push('after', after)
    // The mark of one change seen, in the stream's slot (its hash tag, on a
    // cluster), so that of the processes that see it, one appends it.
    const seen = `${stream}:seen:${createHash('sha1').update(`${key}\u0000${after ?? ''}`).digest('hex')}`
    await this.#scripts.pancakeAudit(2, stream, seen, OUTSIDE_SEEN_MS, audit.maxLength, ...fields)
  }

  /**
   * The newest entries first, read backwards in pages. On a cluster, every
   * shard is read and the entries merged by time.
   */
  async history (stream: string, query: HistoryQuery): Promise<AuditEntry[]> {
    if (query.limit <= 0) return []
    const shards = this.#cluster ? await this.#connection.smembers(auditShards(stream)) : [stream]
    const found = (await Promise.all(shards.map(async (shard) => await this.#historyOf(shard, query)))).flat()
    return found.sort((a, b) => compareIds(b.id, a.id)).slice(0, query.limit)
  }

  async #historyOf (stream: string, query: HistoryQuery): Promise<AuditEntry[]> {
    const found: AuditEntry[] = []
    let end = '+'
    for (;;) {
      const page = await this.#connection.xrevrange(stream, end, '-', 'COUNT', HISTORY_PAGE)
      for (const [id, flat] of page) {
        const entry = parseEntry(id, flat)
        if (entry !== undefined && matchesName(entry, query.name)) found.push(entry)
        if (found.length >= query.limit) return found
      }
      if (page.length < HISTORY_PAGE) return found
      end = `(${(page[page.length - 1] as [string, string[]])[0]}`
    }
  }

  async scanTracked (trackingKey: string, cursor: string, count: number): Promise<[string, string[]]> {
    try {
      return await this.#connection.sscan(trackingKey, cursor, 'COUNT', count)
    } catch (err) {
      // A tracking key of another type (written by hand) tracks nothing.
      if ((err as Error).message.startsWith('WRONGTYPE')) return ['0', []]
      throw err
    }
  }

  /**
   * The key of the audit stream a write of `key` appends to: on a single
   * server the instance's stream; on a cluster its shard in the slot of
   * `key`, so the script that writes `key` can append to it. A shard is
   * named in the instance's set of shards before its first entry.
   */
  async #stream (audit: AuditRecord | undefined, key: string): Promise<string | undefined> {
    if (audit === undefined) return undefined
    if (!this.#cluster) return audit.stream
    const shard = auditShard(audit.stream, key)
    if (!this.#knownShards.has(shard)) {
      await this.#connection.sadd(auditShards(audit.stream), shard)
      this.#knownShards.add(shard)
    }
    return shard
  }

  /**
   * Follows the changes announced by every writer, on a connection of its
   * own. `listener.resync`
   * is called whenever announcements may have been
   * missed: once the subscription is confirmed, first and after each
   * reconnect of the listening connection, and after each reconnect of the
   * connection that reads.
   */
  async subscribe (listener: ChangeListener): Promise<() => Promise<void>> {
    // Subscribed anew on each connection, below, rather than by ioredis: a
    // resync before the subscription is in place could miss a change
    // announced in between.
    const subscriber = this.#duplicate({ autoResubscribe: false })
    this.#subscribers.add(subscriber)
    subscriber.on('message', (_channel: string, message: string) => {
      const change = parseChange(message)
      if (change === undefined) return
      if (change.origin !== this.origin) listener.change(change)
      else listener.echo?.(change)
    })
    const patterns = this.#followKeyspace(subscriber, listener)
    const listen = async (): Promise<void> => {
      const keyspace = await patterns()
      await subscriber.subscribe(CHANGES_CHANNEL)
      if (keyspace.length > 0) await subscriber.psubscribe(...keyspace)
      await listener.resync()
    }
    // Not waited for: with Redis down at startup, the subscription is made
    // when it comes back, and the app starts meanwhile.
    subscriber.on('ready', () => { listen().catch(() => {}) })
    // Reads that failed while the reading connection was away are answered
    // from memory: reload once it is back.
    const reconnected = (): void => { Promise.resolve(listener.resync()).catch(() => {}) }
    this.#connection.on('ready', reconnected)
    return async () => {
      this.#connection.off('ready', reconnected)
      subscriber.removeAllListeners('ready')
      this.#subscribers.delete(subscriber)
      // Nothing is pending on a subscriber; a graceful QUIT would wait for a
      // server that may be gone.
      subscriber.disconnect()
    }
  }

  /**
   * A PING on each subscriber connection: its answer comes after every
   * message published before it.
   */
  async sync (): Promise<void> {
    await Promise.all([...this.#subscribers].map(async (subscriber) => await subscriber.ping()))
  }

  watchAvailability (listener: (available: boolean) => void): () => void {
    const lost = (): void => { listener(false) }
    // On a cluster, once its nodes are connected too.
    const back = (): void => { this.whenAvailable(CONNECT_WAIT).then((available) => { if (available) listener(true) }, () => {}) }
    this.#connection.on('close', lost)
    this.#connection.on('ready', back)
    return () => {
      this.#connection.off('close', lost)
      this.#connection.off('ready', back)
    }
  }

  /**
   * Where the server publishes keyspace notifications for strings and
   * deletions (notify-keyspace-events with K, and A or both $ and g), writes
   * by programs that announce nothing are seen at once too: the patterns
   * to follow, asked of the server on each connection. A cluster notifies
   * on the node that holds the key only, so there the periodic re-read does
   * the work.
   */
  #followKeyspace (subscriber: RedisClient, listener: ChangeListener): () => Promise<string[]> {
    const touched = listener.touched
    if (this.#cluster || touched === undefined) return async () => []
    const db = (this.client as Redis).options.db ?? 0
    const prefix = `__keyspace@${db}__:`
    subscriber.on('pmessage', (_pattern: string, channel: string) => {
      if (channel.startsWith(prefix)) touched(channel.slice(prefix.length))
    })
    return async () => {
      // Asked before subscribing: a subscribed connection takes no CONFIG.
      const [, events = ''] = await (subscriber as Redis).config('GET', 'notify-keyspace-events').catch(() => []) as [string?, string?]
      if (!events.includes('K') || !(events.includes('A') || (events.includes('$') && events.includes('g')))) return []
      return [`${prefix}SWITCH:*`, `${prefix}FLAG:*`, `${prefix}SAMPLE:*`]
    }
  }

  /**
   * Closes the store's own connections, and the client if the store owns
   * it. Never fails: a connection that does not answer QUIT, or drops
   * meanwhile, is cut.
   */
  async close (): Promise<void> {
    this.client.off('end', this.#clientEnded)
    for (const subscriber of this.#subscribers) subscriber.disconnect()
    this.#subscribers.clear()
    await Promise.all([quit(this.#connection), this.#ownsClient ? quit(this.client) : undefined])
  }

  /**
   * A connection of the store's own, like the client's but reconnecting
   * on the store's schedule. Made when the store is, even if the client
   * connects lazily.
   */
  #duplicate (options: RedisOptions): RedisClient {
    const retry = (attempt: number): number => Math.min(attempt * 50, this.#reconnectDelay)
    let connection: RedisClient
    if (this.#cluster) {
      const cluster = this.client as Cluster
      const overrides: ClusterOptions = {
        lazyConnect: true,
        clusterRetryStrategy: retry,
        redisOptions: { ...cluster.options.redisOptions, ...options }
      }
      if (options.enableOfflineQueue === false) {
        overrides.enableOfflineQueue = false
        // A command cut off by a lost node is not sent again elsewhere.
        overrides.retryDelayOnFailover = 0
      }
      connection = cluster.duplicate([], overrides)
      connection.on('ready', () => { this.#nodesConnected().catch(() => {}) })
    } else {
      connection = (this.client as Redis).duplicate({ ...options, lazyConnect: true, retryStrategy: retry })
    }
    // Outages are the near-cache's to report, once each.
    connection.on('error', () => {})
    connection.connect().catch(() => {})
    return connection
  }

  /** Waits for the first connection, if it is still being made. */
  async #connected (): Promise<void> {
    if (!this.available()) await this.whenAvailable(CONNECT_WAIT)
  }

  #sameSlot (a: string, b: string): boolean {
    return !this.#cluster || calculateSlot(a) === calculateSlot(b)
  }

  #announcement (): [string, string, number] {
    return [CHANGES_CHANNEL, this.origin, ++this.#seq]
  }
}

// How long a change made without the library counts as already recorded,
// for the other processes that see it too, in ms.
const OUTSIDE_SEEN_MS = 10_000

// Entries read per XREVRANGE of a history.
const HISTORY_PAGE = 500

/** A script's keys, its number of keys first, with the audit stream last when there is one. */
function keysOf (keys: string[], stream: string | undefined): Array<string | number> {
  return stream === undefined ? [keys.length, ...keys] : [keys.length + 1, ...keys, stream]
}

/** The ARGV that follow a write's own: the stream length and the entry's fields. */
function auditArgs (audit: AuditRecord | undefined): Array<string | number> {
  return audit === undefined ? [] : [audit.maxLength, ...flatFields(audit.fields)]
}

/** `items` grouped by the Cluster hash slot of their key, each group in order. */
function bySlot<T> (items: readonly T[], keyOf: (item: T) => string): Map<number, T[]> {
  const groups = new Map<number, T[]>()
  for (const item of items) {
    const slot = calculateSlot(keyOf(item))
    const group = groups.get(slot)
    if (group === undefined) groups.set(slot, [item])
    else group.push(item)
  }
  return groups
}

function parseChange (message: string): Change | undefined {
  let raw: unknown
  try {
    raw = JSON.parse(message)
  } catch {
    return undefined
  }
  if (raw === null || typeof raw !== 'object') return undefined
  const { o, s, set, del } = raw as { o?: unknown, s?: unknown, set?: unknown, del?: unknown }
  if (typeof o !== 'string' || typeof s !== 'number') return undefined
  const change: Change = { origin: o, seq: s, set: {}, del: [] }
  // Lua's cjson writes an empty table as {}, never [].
  if (set !== null && typeof set === 'object') {
    for (const [key, value] of Object.entries(set)) if (typeof value === 'string') change.set[key] = value
  }
  if (del !== null && typeof del === 'object') {
    for (const key of Object.values(del)) if (typeof key === 'string') change.del.push(key)
  }
  return change
}

/** The next `ready` of a connection; its errors meanwhile (a refused attempt) are not the end of the wait. */
async function readyOf (connection: RedisClient): Promise<void> {
  await new Promise<void>((resolve) => { connection.once('ready', () => { resolve() }) })
}

/** QUIT, or a cut connection if Redis does not answer it: never fails. */
async function quit (connection: RedisClient): Promise<void> {
  if (connection.status !== 'ready') {
    connection.disconnect()
    return
  }
  try {
    await within(connection.quit(), QUIT_WAIT, () => new Error('no answer to QUIT'))
  } catch {
    connection.disconnect()
  }
}
