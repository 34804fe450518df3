import { randomUUID } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'
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
 */
export class RedisStore implements PancakeStore {
  readonly kind = 'redis'
  readonly client: RedisClient
  /** Identifies this store's writes in announcements. */
  readonly origin = randomUUID()
  readonly #scripts: Scripts
  readonly #ownsClient: boolean
  #seq = 0

  /**
   * @param client the ioredis client to use.
   * @param ownsClient whether {@link close} quits the client: true only when
   *   the library created it.
   */
  constructor (client: RedisClient, ownsClient = false) {
    this.client = client
    this.#ownsClient = ownsClient
    for (const [name, { lua, numberOfKeys }] of Object.entries(SCRIPTS)) {
      client.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys })
    }
    this.#scripts = client as unknown as Scripts
  }

  /** Whether commands would be sent now rather than queued until a reconnect. */
  available (): boolean {
    return this.client.status === 'ready'
  }

  async read (init: ReadonlyArray<readonly [string, string]>, keys: readonly string[]): Promise<Array<string | null>> {
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
    await this.#scripts.pancakeSetTracked(key, trackingKey, value, ...this.#announcement())
  }

  async deleteTracked (key: string, trackingKey: string): Promise<void> {
    await this.#scripts.pancakeDeleteTracked(key, trackingKey, ...this.#announcement())
  }

  async clearTracked (trackingKey: string): Promise<void> {
    await this.#scripts.pancakeClearTracked(trackingKey, ...this.#announcement())
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
    let subscribed = false
    subscriber.on('ready', () => {
      // ioredis re-subscribes by itself after a reconnect; what was said
      // while it was away is lost, so start over from the store.
      if (subscribed) listener.resync()
    })
    subscriber.on('message', (_channel: string, message: string) => {
      const change = parseChange(message)
      if (change !== undefined && change.origin !== this.origin) listener.change(change)
    })
    await subscriber.subscribe(CHANGES_CHANNEL)
    subscribed = true
    return async () => {
      subscriber.removeAllListeners('ready')
      await subscriber.quit().catch(() => subscriber.disconnect())
    }
  }

  async close (): Promise<void> {
    if (this.#ownsClient) await this.client.quit()
  }

  #announcement (): [string, string, number] {
    return [CHANGES_CHANNEL, this.origin, ++this.#seq]
  }
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
