import { flatFields, matchesName, parseEntry, type AuditEntry, type AuditRecord, type HistoryQuery } from '../audit.js'
import { ChangeFeed } from './feed.js'
import { WRONG_TYPE, type PancakeStore, type StoreWatcher } from './store.js'

/**
 * The embedded store: one process's memory, with the semantics of
 * {@link RedisStore}. Meant for development, tests and demos; a second process
 * (another server, the CLI) cannot see or change it.
 */
export class MemoryStore implements PancakeStore {
  readonly kind = 'memory'
  readonly #data = new Map<string, string | Set<string>>()
  /** Moves with every change: everything here is held without expiry. */
  #version = 0
  readonly #feed = new ChangeFeed()
  /** Audit streams, oldest entry first, each trimmed to its record's `maxLength`. */
  readonly #streams = new Map<string, AuditEntry[]>()
  #lastTime = 0
  #seq = 0

  async read (init: ReadonlyArray<readonly [string, string]>, keys: readonly string[]): Promise<Array<string | null>> {
    return this.peek(init, keys)
  }

  peek (init: ReadonlyArray<readonly [string, string]>, keys: readonly string[]): Array<string | null> {
    const values: Array<string | null> = []
    for (const [key, value] of init) {
      if (!this.#data.has(key)) {
        this.#data.set(key, value)
        this.#version++
      }
      values.push(this.#get(key))
    }
    for (const key of keys) values.push(this.#get(key))
    return values
  }

  peekHeld (keys: readonly string[]): Array<string | null> {
    return keys.map((key) => this.#get(key))
  }

  heldVersion (): number {
    return this.#version
  }

  peekObject (prefix: string, id: string): string | null {
    return this.#get(`${prefix}:${id}`)
  }

  async set (key: string, value: string, audit?: AuditRecord): Promise<void> {
    const before = this.#get(key)
    this.#version++
    this.#data.set(key, value)
    this.#audit(audit, before, value)
    this.#feed.change({ key, value, source: 'local' })
  }

  async delete (key: string, audit?: AuditRecord): Promise<void> {
    const before = this.#get(key)
    this.#version++
    this.#data.delete(key)
    this.#audit(audit, before, null)
    this.#feed.change({ key, value: null, source: 'local' })
  }

  async setTracked (key: string, trackingKey: string, value: string, audit?: AuditRecord): Promise<void> {
    this.#set(trackingKey).add(key)
    await this.set(key, value, audit)
  }

  async deleteTracked (key: string, trackingKey: string, audit?: AuditRecord): Promise<void> {
    const members = this.#set(trackingKey)
    members.delete(key)
    if (members.size === 0) this.#data.delete(trackingKey)
    await this.delete(key, audit)
  }

  async clearTracked (trackingKey: string, audit?: AuditRecord): Promise<void> {
    const members = this.#set(trackingKey)
    this.#version++
    for (const key of members) this.#data.delete(key)
    this.#data.delete(trackingKey)
    this.#audit(audit, null, null, members.size)
    this.#feed.change({ key: trackingKey, value: null, source: 'local', cleared: true })
  }

  /** Reports this store's writes: in one process, every change is `local`. */
  watch (watcher: StoreWatcher): () => void {
    return this.#feed.watch(watcher)
  }

  async appendAudit (audit: AuditRecord, _key: string, after: string | null): Promise<void> {
    this.#audit(audit, null, after)
  }

  async history (stream: string, query: HistoryQuery): Promise<AuditEntry[]> {
    const entries = this.#streams.get(stream) ?? []
    const found: AuditEntry[] = []
    for (let i = entries.length - 1; i >= 0 && found.length < query.limit; i--) {
      const entry = entries[i] as AuditEntry
      if (matchesName(entry, query.name)) found.push(entry)
    }
    return found
  }

  async scanTracked (trackingKey: string, cursor: string, count: number): Promise<[string, string[]]> {
    const all = await this.members(trackingKey)
    const start = Number(cursor) || 0
    const end = start + count
    return [end >= all.length ? '0' : String(end), all.slice(start, end)]
  }

  /** The members of a tracking set, for tests and tools; empty when absent. */
  async members (trackingKey: string): Promise<string[]> {
    const value = this.#data.get(trackingKey)
    return value instanceof Set ? [...value] : []
  }

  #audit (audit: AuditRecord | undefined, before: string | null, after: string | null, count?: number): void {
    if (audit === undefined) return
    // Ids as Redis makes them: milliseconds, then a sequence within one.
    const now = Math.max(Date.now(), this.#lastTime)
    this.#seq = now === this.#lastTime ? this.#seq + 1 : 0
    this.#lastTime = now
    const flat = flatFields(audit.fields)
    if (before !== null && before !== WRONG_TYPE) flat.push('before', before)
    if (after !== null) flat.push('after', after)
    if (count !== undefined) flat.push('count', String(count))
    const entry = parseEntry(`${now}-${this.#seq}`, flat) as AuditEntry
    let entries = this.#streams.get(audit.stream)
    if (entries === undefined) this.#streams.set(audit.stream, entries = [])
    entries.push(entry)
    if (entries.length > audit.maxLength) entries.splice(0, entries.length - audit.maxLength)
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
