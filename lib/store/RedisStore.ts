import type { Cluster, Redis } from 'ioredis'
import { WRONG_TYPE, type PancakeStore } from './store.js'

/** An ioredis client: a single server (also through Sentinel) or a cluster. */
export type RedisClient = Redis | Cluster

// Each script is one round trip and runs atomically. Writes run the command
// that can fail on a wrongly typed key first, so a failed script has changed
// nothing.
const SCRIPTS = {
  // KEYS: init keys then plain keys; ARGV[1]: number of init keys, then
  // their values.
  pancakeRead: `
local n = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  if i <= n then redis.call('SETNX', KEYS[i], ARGV[i + 1]) end
  local v = redis.pcall('GET', KEYS[i])
  if type(v) == 'table' and v.err then v = ARGV[n + 2] end
  out[i] = v
end
return out`,
  pancakeSetTracked: `
redis.call('SADD', KEYS[2], KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
return 1`,
  pancakeDeleteTracked: `
redis.call('SREM', KEYS[2], KEYS[1])
redis.call('DEL', KEYS[1])
return 1`,
  pancakeClearTracked: `
local members = redis.call('SMEMBERS', KEYS[1])
for i = 1, #members, 1000 do
  redis.call('DEL', unpack(members, i, math.min(i + 999, #members)))
end
redis.call('DEL', KEYS[1])
return #members`
} as const

interface PancakeCommands {
  pancakeRead: (numKeys: number, ...args: string[]) => Promise<Array<string | null>>
  pancakeSetTracked: (key: string, trackingKey: string, value: string) => Promise<number>
  pancakeDeleteTracked: (key: string, trackingKey: string) => Promise<number>
  pancakeClearTracked: (trackingKey: string) => Promise<number>
}

/**
 * The shared store: flask-pancake's key layout in Redis, through an ioredis
 * client. The Lua scripts are registered on the client with
 * `defineCommand`, so each operation is a single EVALSHA.
 */
export class RedisStore implements PancakeStore {
  readonly kind = 'redis'
  readonly client: RedisClient
  readonly #commands: PancakeCommands
  readonly #ownsClient: boolean

  /**
   * @param client the ioredis client to use.
   * @param ownsClient whether {@link close} quits the client: true only when
   *   the library created it.
   */
  constructor (client: RedisClient, ownsClient = false) {
    this.client = client
    this.#ownsClient = ownsClient
    client.defineCommand('pancakeRead', { lua: SCRIPTS.pancakeRead })
    client.defineCommand('pancakeSetTracked', { lua: SCRIPTS.pancakeSetTracked, numberOfKeys: 2 })
    client.defineCommand('pancakeDeleteTracked', { lua: SCRIPTS.pancakeDeleteTracked, numberOfKeys: 2 })
    client.defineCommand('pancakeClearTracked', { lua: SCRIPTS.pancakeClearTracked, numberOfKeys: 1 })
    this.#commands = client as unknown as PancakeCommands
  }

  async read (init: ReadonlyArray<readonly [string, string]>, keys: readonly string[]): Promise<Array<string | null>> {
    const total = init.length + keys.length
    if (total === 0) return []
    const args: string[] = []
    for (const [key] of init) args.push(key)
    args.push(...keys, String(init.length))
    for (const [, value] of init) args.push(value)
    args.push(WRONG_TYPE)
    return await this.#commands.pancakeRead(total, ...args)
  }

  async set (key: string, value: string): Promise<void> {
    await this.client.set(key, value)
  }

  async delete (key: string): Promise<void> {
    await this.client.del(key)
  }

  async setTracked (key: string, trackingKey: string, value: string): Promise<void> {
    await this.#commands.pancakeSetTracked(key, trackingKey, value)
  }

  async deleteTracked (key: string, trackingKey: string): Promise<void> {
    await this.#commands.pancakeDeleteTracked(key, trackingKey)
  }

  async clearTracked (trackingKey: string): Promise<void> {
    await this.#commands.pancakeClearTracked(trackingKey)
  }

  async close (): Promise<void> {
    if (this.#ownsClient) await this.client.quit()
  }
}
