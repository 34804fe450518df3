import { randomUUID } from 'node:crypto'
import calculateSlot from 'cluster-key-slot'
import type { Cluster, Redis } from 'ioredis'
import { MAX_VALUE_LENGTH } from '../keys.js'
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
// No valid value is anywhere near this long. One that is (junk written by
// hand, megabytes of it) comes back as a short marker with its length and
// first bytes: never sent whole, kept in the near-cache or re-read every
// `staleness`. The marker, like any value that long, does not parse.
const MAX_READ_LENGTH = 1024

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
  if type(v) == 'string' and #v > ${MAX_READ_LENGTH} then v = '\\0TOOLONG:' .. #v .. ':' .. string.sub(v, 1, ${MAX_VALUE_LENGTH}) end
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
  pancakeClearTracked: {
    numberOfKeys: 1,
    lua: `${ANNOUNCE}
local members = redis.call('SMEMBERS', KEYS[1])
for i = 1, #members, 1000 do
  redis.call('DEL', unpack(members, i, math.min(i + 999, #members)))
end
redis.call('DEL', KEYS[1])
if #members > 0 then announce(1, nil, members) end
return #members`
  }
} as const

type ScriptName = keyof typeof SCRIPTS
type Scripts = Record<ScriptName, (...args: Array<string | number>) => Promise<unknown>>

/**
 * The shared store: flask-pancake's key layout in Redis, through an ioredis
 * client. Its Lua scripts are registered on the client with `defineCommand`,
 * so each operation is a single EVALSHA, and every write is announced on
 * {@link CHANGES_CHANNEL} so that near-caches of other processes follow.
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
  readonly client: RedisClient
  /** Identifies this store's writes in announcements. */
  readonly origin = randomUUID()
  readonly #scripts: Scripts
  readonly #ownsClient: boolean
  readonly #cluster: boolean
  #seq = 0

  /**
   * @param client the ioredis client to use.
   * @param ownsClient whether {@link close} quits the client: true only when
   *   the library created it.
   */
  constructor (client: RedisClient, ownsClient = false) {
    this.client = client
    this.#ownsClient = ownsClient
    this.#cluster = (client as Cluster).isCluster === true
    for (const [name, { lua, numberOfKeys }] of Object.entries(SCRIPTS)) {
      client.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys })
    }
    this.#scripts = client as unknown as Scripts
  }

  /** Whether commands would be sent now rather than queued until a reconnect. */
  available (): boolean {
    return this.client.status === 'ready'
  }

  async whenAvailable (ms: number): Promise<boolean> {
    if (this.available()) return true
    // A connection that was lost is an outage: do not wait out the back-off.
    if (['reconnecting', 'close', 'end'].includes(this.client.status)) return false
    const client = this.client
    return await new Promise<boolean>((resolve) => {
      const done = (ready: boolean): void => {
        clearTimeout(timer)
        client.off('ready', onReady)
        resolve(ready)
      }
      const onReady = (): void => done(true)
      const timer = setTimeout(() => done(false), ms)
      client.on('ready', onReady)
    })
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
    const args: Array<string | number> = [total]
    for (const [key] of init) args.push(key)
    args.push(...keys, init.length)
    for (const [, value] of init) args.push(value)
    args.push(WRONG_TYPE)
    return await this.#scripts.pancakeRead(...args) as Array<string | null>
  }

  async set (key: string, value: string): Promise<void> {
    await this.#scripts.pancakeSet(key, value, ...this.#announcement())
  }

  async delete (key: string): Promise<void> {
    await this.#scripts.pancakeDelete(key, ...this.#announcement())
  }

  async setTracked (key: string, trackingKey: string, value: string): Promise<void> {
    if (this.#sameSlot(key, trackingKey)) {
      await this.#scripts.pancakeSetTracked(key, trackingKey, value, ...this.#announcement())
    } else {
      await this.client.sadd(trackingKey, key)
      await this.set(key, value)
    }
  }

  async deleteTracked (key: string, trackingKey: string): Promise<void> {
    if (this.#sameSlot(key, trackingKey)) {
      await this.#scripts.pancakeDeleteTracked(key, trackingKey, ...this.#announcement())
    } else {
      await this.delete(key)
      await this.client.srem(trackingKey, key)
    }
  }

  async clearTracked (trackingKey: string): Promise<void> {
    if (!this.#cluster) {
      await this.#scripts.pancakeClearTracked(trackingKey, ...this.#announcement())
      return
    }
    const members = await this.client.smembers(trackingKey)
    await Promise.all([...bySlot(members, (key) => key).values()].map(async (slotKeys) => await this.client.del(...slotKeys)))
    if (members.length > 0) await this.client.srem(trackingKey, ...members)
    const [channel, origin, seq] = this.#announcement()
    await this.client.publish(channel, JSON.stringify({ o: origin, s: seq, del: members }))
  }

  /**
   * Follows the changes announced by every writer, on a connection of its
   * own. `listener.resync` is called whenever announcements may have been
   * missed: after the subscriber reconnects.
   */
  async subscribe (listener: ChangeListener): Promise<() => Promise<void>> {
    // A duplicate has the client's options, Sentinel and Cluster included.
    const subscriber: RedisClient = (this.client.duplicate as () => RedisClient)()
    subscriber.on('error', () => {}) // reconnects on its own; health is tracked on the main client
    subscriber.on('message', (_channel: string, message: string) => {
      const change = parseChange(message)
      if (change !== undefined && change.origin !== this.origin) listener.change(change)
    })
    // Whenever the subscription (re)starts, what was said while it was not
    // listening is lost: start over from the store. ioredis re-subscribes by
    // itself after a reconnect.
    subscriber.on('ready', () => {
      if (subscribed) listener.resync()
    })
    let subscribed = false
    // Not awaited: with Redis down at startup, the subscription is made
    // when it comes back, and the app starts meanwhile.
    subscriber.subscribe(CHANGES_CHANNEL).then(() => {
      subscribed = true
      listener.resync()
    }, () => {})
    this.#followKeyspace(subscriber, listener).catch(() => {})
    return async () => {
      subscriber.removeAllListeners('ready')
      // Nothing is pending on a subscriber; a graceful QUIT would wait for a
      // server that may be gone.
      subscriber.disconnect()
    }
  }

  /**
   * Where the server publishes keyspace notifications for strings and
   * deletions (notify-keyspace-events with K, and A or both $ and g), writes
   * by programs that announce nothing are seen at once too. A cluster
   * notifies on the node that holds the key only, so there the periodic
   * re-read does the work.
   */
  async #followKeyspace (subscriber: RedisClient, listener: ChangeListener): Promise<void> {
    if (this.#cluster || listener.touched === undefined) return
    const [, events = ''] = await (this.client as Redis).config('GET', 'notify-keyspace-events') as [string, string]
    if (!events.includes('K') || !(events.includes('A') || (events.includes('$') && events.includes('g')))) return
    const db = (this.client as Redis).options.db ?? 0
    const prefix = `__keyspace@${db}__:`
    const touched = listener.touched
    subscriber.on('pmessage', (_pattern: string, channel: string) => {
      if (channel.startsWith(prefix)) touched(channel.slice(prefix.length))
    })
    await subscriber.psubscribe(`${prefix}SWITCH:*`, `${prefix}FLAG:*`, `${prefix}SAMPLE:*`)
  }

  async close (): Promise<void> {
    if (!this.#ownsClient) return
    if (this.available()) await this.client.quit()
    else this.client.disconnect()
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
