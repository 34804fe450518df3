import { randomUUID } from 'node:crypto'
import calculateSlot from 'cluster-key-slot'
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis'
import { within } from '../within.js'
import { WRONG_TYPE, type Change, type ChangeListener, type PancakeStore } from './store.js'

/** An ioredis client: a single server (also through Sentinel) or a cluster. */
export type RedisClient = Redis | Cluster

/** The pub/sub channel on which every write announces what it changed. */
export const CHANGES_CHANNEL = 'fastify-pancake:changes'

// Each script is one round trip and runs atomically: the write and its
// announcement on CHANGES_CHANNEL happen together or not at all. Writes run
// the command that can fail on a wrongly typed key first, so a failed script
// has changed nothing. The last three ARGV of a write are the channel, the
// writer's origin id and its sequence number.
const ANNOUNCE = `
local function announce(at, set, del)
  local change = { o = ARGV[at + 1], s = tonumber(ARGV[at + 2]) }
  if set then change.set = set end
  if del then change.del = del end
  redis.call('PUBLISH', ARGV[at], cjson.encode(change))
end
`
const SCRIPTS = {
  // KEYS: init keys then plain keys; ARGV[1]: number of init keys, then
  // their values, then the marker for a wrongly typed key.
  pancakeRead: {
    numberOfKeys: undefined,
    lua: `
local n = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  if i <= n then redis.call('SETNX', KEYS[i], ARGV[i + 1]) end
  local v = redis.pcall('GET', KEYS[i])
  if type(v) == 'table' and v.err then v = ARGV[n + 2] end
  out[i] = v
end
return out`
  },
  pancakeSet: {
    numberOfKeys: 1,
    lua: `${ANNOUNCE}
redis.call('SET', KEYS[1], ARGV[1])
announce(2, { [KEYS[1]] = ARGV[1] }, nil)
return 1`
  },
  pancakeDelete: {
    numberOfKeys: 1,
    lua: `${ANNOUNCE}
redis.call('DEL', KEYS[1])
announce(1, nil, { KEYS[1] })
return 1`
  },
  pancakeSetTracked: {
    numberOfKeys: 2,
    lua: `${ANNOUNCE}
redis.call('SADD', KEYS[2], KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
announce(2, { [KEYS[1]] = ARGV[1] }, nil)
return 1`
  },
  pancakeDeleteTracked: {
    numberOfKeys: 2,
    lua: `${ANNOUNCE}
redis.call('SREM', KEYS[2], KEYS[1])
redis.call('DEL', KEYS[1])
announce(1, nil, { KEYS[1] })
return 1`
  },
  // ARGV[1]: the prefix of the keys it may delete; returns the others.
  pancakeClearTracked: {
    numberOfKeys: 1,
    lua: `${ANNOUNCE}
local members = redis.call('SMEMBERS', KEYS[1])
local mine, others = {}, {}
for _, member in ipairs(members) do
  if string.sub(member, 1, #ARGV[1]) == ARGV[1] then mine[#mine + 1] = member else others[#others + 1] = member end
end
for i = 1, #mine, 1000 do
  redis.call('DEL', unpack(mine, i, math.min(i + 999, #mine)))
end
redis.call('DEL', KEYS[1])
if #mine > 0 then announce(2, nil, mine) end
return others`
  }
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
  /** The connections of {@link subscribe}, to close with the store. */
  readonly #subscribers = new Set<RedisClient>()
  /** The one wait for the connection that {@link whenAvailable} callers share. */
  #ready: Promise<void> | undefined
  readonly #clientEnded = (): void => { this.close().catch(() => {}) }
  #seq = 0

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
    for (const [name, { lua, numberOfKeys }] of Object.entries(SCRIPTS)) {
      this.#connection.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys })
    }
    this.#scripts = this.#connection as unknown as Scripts
    client.once('end', this.#clientEnded)
  }

  /** The connection reads and writes go over: the store's own duplicate of {@link client}. */
  get connection (): RedisClient {
    return this.#connection
  }

  /** Whether a command would be sent now; when not, it fails at once. */
  available (): boolean {
    return this.#connection.status === 'ready'
  }

  async whenAvailable (ms: number): Promise<boolean> {
    if (this.available()) return true
    // A connection that was lost is an outage: do not wait for the reconnect.
    if (['reconnecting', 'close', 'end'].includes(this.#connection.status)) return false
    const connection = this.#connection
    this.#ready ??= new Promise<void>((resolve) => {
      connection.once('ready', () => {
        this.#ready = undefined
        resolve()
      })
    })
    return await within(this.#ready.then(() => true), ms, () => new Error('not connected')).catch(() => false)
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

  async set (key: string, value: string): Promise<void> {
    await this.#connected()
    await this.#scripts.pancakeSet(key, value, ...this.#announcement())
  }

  async delete (key: string): Promise<void> {
    await this.#connected()
    await this.#scripts.pancakeDelete(key, ...this.#announcement())
  }

  async setTracked (key: string, trackingKey: string, value: string): Promise<void> {
    await this.#connected()
    if (this.#sameSlot(key, trackingKey)) {
      await this.#scripts.pancakeSetTracked(key, trackingKey, value, ...this.#announcement())
    } else {
      await this.#connection.sadd(trackingKey, key)
      await this.set(key, value)
    }
  }

  async deleteTracked (key: string, trackingKey: string): Promise<void> {
    await this.#connected()
    if (this.#sameSlot(key, trackingKey)) {
      await this.#scripts.pancakeDeleteTracked(key, trackingKey, ...this.#announcement())
    } else {
      await this.delete(key)
      await this.#connection.srem(trackingKey, key)
    }
  }

  async clearTracked (trackingKey: string, keyPrefix: string): Promise<string[]> {
    await this.#connected()
    if (!this.#cluster) {
      return await this.#scripts.pancakeClearTracked(trackingKey, keyPrefix, ...this.#announcement()) as string[]
    }
    const members = await this.#connection.smembers(trackingKey)
    const mine = members.filter((key) => key.startsWith(keyPrefix))
    await Promise.all([...bySlot(mine, (key) => key).values()].map(async (slotKeys) => await this.#connection.del(...slotKeys)))
    if (members.length > 0) await this.#connection.srem(trackingKey, ...members)
    const [channel, origin, seq] = this.#announcement()
    await this.#connection.publish(channel, JSON.stringify({ o: origin, s: seq, del: mine }))
    return members.filter((key) => !key.startsWith(keyPrefix))
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
      if (change !== undefined && change.origin !== this.origin) listener.change(change)
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
