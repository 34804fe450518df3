import { WRONG_TYPE, type PancakeStore } from './store.js'

/**
 * The embedded store: one process's memory, with the semantics of
 * {@link RedisStore}. Meant for development, tests and demos; a second process
 * (another server, the CLI) cannot see or change it.
 */
export class MemoryStore implements PancakeStore {
  readonly kind = 'memory'
  readonly #data = new Map<string, string | Set<string>>()

  async read (init: ReadonlyArray<readonly [string, string]>, keys: readonly string[]): Promise<Array<string | null>> {
    return this.peek(init, keys)
  }

  peek (init: ReadonlyArray<readonly [string, string]>, keys: readonly string[]): Array<string | null> {
    const values: Array<string | null> = []
    for (const [key, value] of init) {
      if (!this.#data.has(key)) this.#data.set(key, value)
      values.push(this.#get(key))
    }
    for (const key of keys) values.push(this.#get(key))
    return values
  }

  peekObject (prefix: string, id: string): string | null {
    return this.#get(`${prefix}:${id}`)
  }

  async set (key: string, value: string): Promise<void> {
    this.#data.set(key, value)
  }

  async delete (key: string): Promise<void> {
    this.#data.delete(key)
  }

  async setTracked (key: string, trackingKey: string, value: string): Promise<void> {
    this.#set(trackingKey).add(key)
    this.#data.set(key, value)
  }

  async deleteTracked (key: string, trackingKey: string): Promise<void> {
    const members = this.#set(trackingKey)
    members.delete(key)
    if (members.size === 0) this.#data.delete(trackingKey)
    this.#data.delete(key)
  }

  async clearTracked (trackingKey: string, keyPrefix: string): Promise<string[]> {
    const others: string[] = []
    for (const key of this.#set(trackingKey)) {
      if (key.startsWith(keyPrefix)) this.#data.delete(key)
      else others.push(key)
    }
    this.#data.delete(trackingKey)
    return others
  }

  /** The members of a tracking set, for tests and tools; empty when absent. */
  async members (trackingKey: string): Promise<string[]> {
    const value = this.#data.get(trackingKey)
    return value instanceof Set ? [...value] : []
  }

  #get (key: string): string | null {
    const value = this.#data.get(key)
    if (value === undefined) return null
    return typeof value === 'string' ? value : WRONG_TYPE
  }

  // Like Redis, an absent set is an empty one, and a write to a key of
  // another type fails before anything changes.
  #set (key: string): Set<string> {
    const value = this.#data.get(key)
    if (value === undefined) {
      const created = new Set<string>()
      this.#data.set(key, created)
      return created
    }
    if (typeof value === 'string') {
      throw new Error('WRONGTYPE Operation against a key holding the wrong kind of value')
    }
    return value
  }
}
