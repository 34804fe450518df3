import type { FastifyBaseLogger } from 'fastify'
import type { AuditEntry, AuditRecord, HistoryQuery } from '../audit.js'
import { PancakeStoreError, PancakeStoreReadError } from '../errors.js'
import { within } from '../within.js'
import { ChangeFeed } from './feed.js'
import type { Change, PancakeStore, StoreWatcher } from './store.js'

export interface NearCacheSettings {
  /** Answer from memory while the store is healthy; false: read it every time. */
  enabled: boolean
  /** How many per-object overrides (or their absence) to hold. */
  size: number
  /** How long a per-object override is trusted without news of a change, ms. */
  ttl: number
  /** How often definition values are re-read, bounding how late a change by a program that does not announce it (redis-cli, flask-pancake) is seen, ms. */
  staleness: number
  /** The longest a check waits for the store before answering from memory, ms. */
  readTimeout: number
  /** The longest a write waits for the store before failing, ms. */
  writeTimeout: number
  log: FastifyBaseLogger
}

interface Override {
  readonly key: string
  /** Where it is in the index by object: `key` is `${prefix}:${id}`. */
  readonly prefix: string | undefined
  readonly id: string | undefined
  value: string | null
  expires: number
  /** When it last moved to the recent end of the LRU, counted in moves. */
  moved: number
}

/** A key read with another value than the one known, not (yet) explained by an announcement. */
interface Suspect {
  /** The value read; undefined when the change was notified without it. */
  value: string | null | undefined
  /** The suspicion's number: a sync confirms those made before it began. */
  at: number
}

// Origins remembered for gap detection; a long-lived process sees a new one
// per CLI run, so the map is emptied when it grows past this.
const MAX_ORIGINS = 1000

/**
 * Keeps a store's values in process memory, so a warm check costs no round
 * trip, and keeps working when the store does not:
 *
 * - Definition values (read with a default) are loaded in one batch at
 *   start, then held; per-object overrides, and their absence, are held in
 *   a bounded LRU for `ttl`.
 * - Writes through the library are announced by the store and applied here
 *   as they arrive; missed announcements (a sequence gap, a reconnect) cause
 *   a resync. Definition values are re-read every `staleness`, for writers
 *   that announce nothing.
 * - What is not cached is fetched once however many requests want it at the
 *   same time, waiting at most `readTimeout`; when the store is down or slow
 *   the answer is the last known value, else none (so the default applies).
 *   One warning per outage.
 * - Writes fail at once with a {@link PancakeStoreError} when the store is
 *   not connected, and after `writeTimeout` when it does not answer.
 * - What it learns is reported to its watchers ({@link watch}): its own
 *   writes, announced ones, and values found changed without an
 *   announcement (a keyspace notification, the periodic re-read, a
 *   resync), once the store confirms no announcement is on its way. And
 *   when the store stops and starts answering.
 */
export class NearCache implements PancakeStore {
  readonly kind: string
  readonly origin: string | undefined
  readonly #source: PancakeStore
  readonly #settings: NearCacheSettings
  /** Definition key → its last known value. */
  readonly #values = new Map<string, string>()
  /** Definition key → the default stored when it is absent. */
  readonly #defaults = new Map<string, string>()
  /**
   * Keys held like definition values but without a default (a flag's
   * rollouts) → the last known value, null for absent; undefined until read.
   */
  readonly #watched = new Map<string, string | null | undefined>()
  /** Moves whenever a value of `#watched` may have changed. */
  #watchedVersion = 0
  /** Object key → override; a Map's order makes it an LRU. */
  readonly #overrides = new Map<string, Override>()
  /**
   * The same overrides by key prefix, then object id: what a flag's check
   * looks up, without building (and hashing) a key per group. A prefix is
   * added the first time a check asks for it.
   */
  readonly #byObject = new Map<string, Map<string, Override>>()
  readonly #inflight = new Map<string, Promise<string | null>>()
  readonly #lastSeq = new Map<string, number>()
  /**
   * Keys changed since the oldest fetch under way began (`*`: all of them):
   * a fetch does not cache what changed while it was under way, since its
   * answer may predate the change.
   */
  readonly #changeLog: string[] = []
  /** Definition keys known to be absent from the store (their default applies). */
  readonly #absent = new Set<string>()
  /** Keys found changed by someone who announced nothing, until a sync confirms it. */
  readonly #suspects = new Map<string, Suspect>()
  readonly #feed = new ChangeFeed()
  #suspicions = 0
  #confirming = false
  /** Clears of a whole tracking set under way: which override keys they delete is not known. */
  #clearing = 0
  #fetching = 0
  #moves = 0
  #down = false
  #retryAt = 0
  #timer: NodeJS.Timeout | undefined
  #unsubscribe: (() => Promise<void>) | undefined
  #unwatchAvailability: (() => void) | undefined

  constructor (source: PancakeStore, settings: NearCacheSettings) {
    this.#source = source
    this.#settings = settings
    this.kind = source.kind
    this.origin = source.origin
  }

  /** How many per-object overrides are held now (at most `size`). */
  get cachedOverrides (): number {
    return this.#overrides.size
  }

  /** The store this cache is in front of. */
  get source (): PancakeStore {
    return this.#source
  }

  /** Whether the store is taken for down: it failed last time and has not answered since. */
  get down (): boolean {
    return this.#down
  }

  watch (watcher: StoreWatcher): () => void {
    return this.#feed.watch(watcher)
  }

  /**
   * Loads every definition value in one batch (storing defaults as needed),
   * starts following changes and the periodic re-read. Never fails: with
   * the store down, checks answer with defaults until it is back.
   */
  async start (definitions: ReadonlyArray<readonly [key: string, value: string]>, watched: readonly string[] = []): Promise<void> {
    for (const [key, value] of definitions) this.#defaults.set(key, value)
    for (const key of watched) if (!this.#watched.has(key)) this.#watched.set(key, undefined)
    // Give a connection still being made a moment, so the first requests
    // find the cache warm; a store that stays away is an outage.
    if (await this.#source.whenAvailable?.(this.#settings.writeTimeout) === false) {
      this.#failed(new Error(`not connected after ${this.#settings.writeTimeout} ms`))
    }
    // A lost connection is an outage at once, not at the next read; once it
    // is back, a read confirms it.
    this.#unwatchAvailability = this.#source.watchAvailability?.((available) => {
      if (!available) {
        this.#failed(new Error('the connection was lost'))
        return
      }
      this.#retryAt = 0
      if (this.#defaults.size === 0) this.#recovered()
      else this.#refresh().catch(() => {})
    })
    if (this.#settings.enabled && this.#source.subscribe !== undefined) {
      this.#unsubscribe = await this.#source.subscribe({
        change: (change) => this.#apply(change),
        resync: () => { this.resync().catch(() => {}) },
        touched: (key) => { this.#touched(key) },
        echo: (change) => { this.#echo(change) }
      })
    }
    // The one batch that stores missing defaults: afterwards, a cleared key
    // stays absent until a check needs it, as with flask-pancake.
    // Starting may wait longer than a request would: `writeTimeout`.
    if (this.#defaults.size + this.#watched.size > 0) await this.#fetch([...this.#defaults], [...this.#watched.keys()], this.#settings.writeTimeout)
    if (this.#settings.enabled) {
      this.#timer = setInterval(() => {
        this.#refresh().catch(() => {})
        // Suspicions a failed sync left unconfirmed.
        this.#confirm()
      }, this.#settings.staleness)
      this.#timer.unref()
    }
  }

  async stop (): Promise<void> {
    clearInterval(this.#timer)
    this.#unwatchAvailability?.()
    this.#unwatchAvailability = undefined
    const unsubscribe = this.#unsubscribe
    this.#unsubscribe = undefined
    this.#suspects.clear()
    await unsubscribe?.()
  }

  /**
   * Distrusts what may be stale and reloads the definition values. Cached
   * overrides are kept, expired, as last known values for an outage.
   */
  async resync (): Promise<void> {
    this.#changed('*')
    for (const override of this.#overrides.values()) override.expires = 0
    await this.#refresh()
  }

  async read (init: ReadonlyArray<readonly [string, string]>, keys: readonly string[]): Promise<Array<string | null>> {
    const now = Date.now()
    // With the cache off, memory still answers while the store is down.
    const fromMemory = this.#settings.enabled || !this.#healthy(now)
    const values: Array<string | null | Promise<string | null>> = new Array(init.length + keys.length)
    const missingInit: Array<readonly [string, string]> = []
    const missingKeys: string[] = []
    const missingAt: number[] = []
    init.forEach((entry, i) => {
      const [key, value] = entry
      if (!this.#defaults.has(key)) this.#defaults.set(key, value)
      const cached = fromMemory ? this.#values.get(key) : undefined
      if (cached !== undefined) values[i] = cached
      else if (!this.#share(key, values, i)) {
        missingInit.push(entry)
        missingAt.push(i)
      }
    })
    keys.forEach((key, j) => {
      const at = init.length + j
      const watched = fromMemory ? this.#watched.get(key) : undefined
      const override = fromMemory && watched === undefined ? this.#usableOverride(key, now) : undefined
      if (watched !== undefined) {
        values[at] = watched
      } else if (override !== undefined) {
        values[at] = override.value
      } else if (!this.#share(key, values, at)) {
        missingKeys.push(key)
        missingAt.push(at)
      }
    })
    if (missingAt.length > 0) {
      // One round trip for everything missing; requests that want the same
      // keys meanwhile wait for this fetch instead of sending their own.
      const fetched = this.#fetch(missingInit, missingKeys)
      const wanted = [...missingInit.map(([key]) => key), ...missingKeys]
      wanted.forEach((key, n) => {
        const value = fetched.then((all) => all[n] ?? null)
        this.#inflight.set(key, value)
        value.then(() => { if (this.#inflight.get(key) === value) this.#inflight.delete(key) })
        values[missingAt[n] as number] = value
      })
    }
    return await Promise.all(values)
  }

  peek (init: ReadonlyArray<readonly [string, string]>, keys: readonly string[]): Array<string | null> | undefined {
    if (!this.#settings.enabled) return undefined
    const values: Array<string | null> = []
    for (const [key, value] of init) {
      const cached = this.#values.get(key)
      if (cached === undefined) {
        if (!this.#defaults.has(key)) this.#defaults.set(key, value)
        return undefined
      }
      values.push(cached)
    }
    let now = 0
    for (const key of keys) {
      const watched = this.#watched.get(key)
      if (watched !== undefined) {
        values.push(watched)
        continue
      }
      if (now === 0) now = Date.now()
      const override = this.#usableOverride(key, now)
      if (override === undefined) return undefined
      values.push(override.value)
    }
    return values
  }

  peekHeld (keys: readonly string[]): Array<string | null> | undefined {
    if (!this.#settings.enabled) return undefined
    const values: Array<string | null> = []
    for (const key of keys) {
      const value = this.#watched.get(key)
      if (value === undefined) return undefined
      values.push(value)
    }
    return values
  }

  heldVersion (): number {
    return this.#watchedVersion
  }

  peekObject (prefix: string, id: string, now: number): string | null | undefined {
    if (!this.#settings.enabled) return undefined
    const objects = this.#byObject.get(prefix)
    if (objects === undefined) {
      this.#index(prefix)
      return undefined
    }
    const override = objects.get(id)
    return override === undefined ? undefined : this.#use(override, now)?.value
  }

  async set (key: string, value: string, audit?: AuditRecord): Promise<void> {
    await this.#write(async () => await this.#source.set(key, value, audit), () => this.#wrote(key, value))
  }

  async delete (key: string, audit?: AuditRecord): Promise<void> {
    await this.#write(async () => await this.#source.delete(key, audit), () => this.#wrote(key, null))
  }

  async setTracked (key: string, trackingKey: string, value: string, audit?: AuditRecord): Promise<void> {
    await this.#write(async () => await this.#source.setTracked(key, trackingKey, value, audit), () => this.#wrote(key, value))
  }

  async deleteTracked (key: string, trackingKey: string, audit?: AuditRecord): Promise<void> {
    await this.#write(async () => await this.#source.deleteTracked(key, trackingKey, audit), () => this.#wrote(key, null))
  }

  async clearTracked (trackingKey: string, audit?: AuditRecord): Promise<void> {
    this.#clearing++
    try {
      // Which object keys went is known to the store alone; forget them all.
      await this.#write(async () => await this.#source.clearTracked(trackingKey, audit), () => {
        this.#changed('*')
        this.#overrides.clear()
        for (const objects of this.#byObject.values()) objects.clear()
        this.#feed.change({ key: trackingKey, value: null, source: 'local', cleared: true })
      })
    } finally {
      this.#clearing--
    }
  }

  async appendAudit (audit: AuditRecord, key: string, after: string | null): Promise<void> {
    await this.#source.appendAudit?.(audit, key, after)
  }

  async history (stream: string, query: HistoryQuery): Promise<AuditEntry[]> {
    return await this.#read(async (source) => await source.history?.(stream, query) ?? [])
  }

  async scanTracked (trackingKey: string, cursor: string, count: number): Promise<[string, string[]]> {
    return await this.#read(async (source) => await source.scanTracked?.(trackingKey, cursor, count) ?? ['0', []])
  }

  /** A read that memory cannot answer: fails at once while the store is down. */
  async #read<T>(operation: (source: PancakeStore) => Promise<T>): Promise<T> {
    if (!this.available()) throw new PancakeStoreReadError('the store is not connected')
    try {
      return await this.#bounded(operation(this.#source), this.#settings.writeTimeout, 'reading')
    } catch (err) {
      throw Object.assign(new PancakeStoreReadError((err as Error).message), { cause: err })
    }
  }

  available (): boolean {
    return this.#source.available?.() ?? true
  }

  async close (): Promise<void> {
    await this.stop()
    await this.#source.close?.()
  }

  /** Uses a fetch of `key` already under way, if there is one. */
  #share (key: string, values: Array<string | null | Promise<string | null>>, at: number): boolean {
    const inflight = this.#inflight.get(key)
    if (inflight === undefined) return false
    values[at] = inflight
    return true
  }

  /**
   * A cached override a check may use: one still fresh, or any while the
   * store is down (the last known value). Using it makes it recent.
   */
  #usableOverride (key: string, now: number): Override | undefined {
    const override = this.#overrides.get(key)
    return override === undefined ? undefined : this.#use(override, now)
  }

  #use (override: Override, now: number): Override | undefined {
    if (override.expires <= now && this.#healthy(now)) return undefined
    // Fewer than size / 2 moves since its own, it is in the recent half and
    // far from eviction: most hits then cost no reordering.
    if (this.#moves - override.moved > this.#settings.size / 2) this.#touch(override)
    return override
  }

  #touch (override: Override): void {
    override.moved = ++this.#moves
    this.#overrides.delete(override.key)
    this.#overrides.set(override.key, override)
  }

  #remember (key: string, value: string | null, expires = Date.now() + this.#settings.ttl): void {
    const known = this.#overrides.get(key)
    if (known?.prefix !== undefined) {
      known.value = value
      known.expires = expires
      this.#touch(known)
      return
    }
    // New, or cached before a check asked for its prefix: (re)indexed.
    if (known !== undefined) this.#drop(key)
    const [prefix, id] = this.#split(key)
    const override: Override = { key, prefix, id, value, expires, moved: 0 }
    this.#touch(override)
    if (prefix !== undefined) this.#byObject.get(prefix)?.set(id as string, override)
    if (this.#overrides.size > this.#settings.size) this.#drop(this.#overrides.keys().next().value as string)
  }

  /** Forgets the override of `key`; whether there was one. */
  #drop (key: string): boolean {
    const override = this.#overrides.get(key)
    if (override === undefined) return false
    this.#overrides.delete(key)
    if (override.prefix !== undefined) this.#byObject.get(override.prefix)?.delete(override.id as string)
    return true
  }

  /** Starts the index by object of `prefix`, with the overrides already held. */
  #index (prefix: string): void {
    this.#byObject.set(prefix, new Map())
    // Re-remembering moves an entry to the end, where this loop meets it
    // again, indexed: it is skipped then.
    const start = `${prefix}:`
    for (const override of this.#overrides.values()) {
      if (override.prefix === undefined && override.key.startsWith(start)) this.#remember(override.key, override.value, override.expires)
    }
  }

  /**
   * The prefix a check asked for, and the object id, that make up `key`;
   * the longest such prefix if names hold colons (both name the same key).
   */
  #split (key: string): [prefix: string | undefined, id: string | undefined] {
    for (let at = key.lastIndexOf(':'); at > 0; at = key.lastIndexOf(':', at - 1)) {
      const prefix = key.slice(0, at)
      if (this.#byObject.has(prefix)) return [prefix, key.slice(at + 1)]
    }
    return [undefined, undefined]
  }

  /** Records a value the store now holds, learnt from a write or an announcement. */
  #learn (key: string, value: string | null): void {
    this.#changed(key)
    this.#suspects.delete(key)
    this.#store(key, value)
  }

  /** Learns what this process wrote, and reports it. */
  #wrote (key: string, value: string | null): void {
    this.#learn(key, value)
    this.#feed.change({ key, value, source: 'local' })
  }

  #store (key: string, value: string | null): void {
    if (this.#defaults.has(key)) {
      // A missing definition value is stored again, as its default, by the
      // next check.
      if (value === null) {
        this.#values.delete(key)
        this.#absent.add(key)
      } else {
        this.#values.set(key, value)
        this.#absent.delete(key)
      }
    } else if (this.#watched.has(key)) {
      if (this.#watched.get(key) !== value) this.#watchedVersion++
      this.#watched.set(key, value)
    } else {
      this.#remember(key, value)
    }
  }

  /** The value last known for `key`: null when known to be absent, undefined when not known. */
  #known (key: string): string | null | undefined {
    if (this.#watched.has(key)) return this.#watched.get(key)
    if (!this.#defaults.has(key)) return this.#overrides.get(key)?.value
    return this.#values.get(key) ?? (this.#absent.has(key) ? null : undefined)
  }

  /** Whether a key's value changed meaning: an absent definition value is its default. */
  #differs (key: string, before: string | null, after: string | null): boolean {
    const fallback = this.#defaults.get(key) ?? null
    return (before ?? fallback) !== (after ?? fallback)
  }

  #apply (change: Change): void {
    const last = this.#lastSeq.get(change.origin)
    if (this.#lastSeq.size >= MAX_ORIGINS) this.#lastSeq.clear()
    this.#lastSeq.set(change.origin, change.seq)
    const learnt = (key: string, value: string | null): void => {
      if (this.#holds(key)) this.#learn(key, value)
      else this.#suspects.delete(key)
      this.#feed.change({ key, value, source: 'instance' })
    }
    for (const [key, value] of Object.entries(change.set)) learnt(key, value)
    for (const key of change.del) learnt(key, null)
    // The first word from a writer that was already writing, or a skipped
    // number, means announcements were missed.
    if ((last === undefined && change.seq !== 1) || (last !== undefined && change.seq !== last + 1)) {
      this.resync().catch(() => {})
    }
  }

  /** Whether `key` is one this cache keeps a value of. */
  #holds (key: string): boolean {
    return this.#defaults.has(key) || this.#watched.has(key) || this.#overrides.has(key)
  }

  /** What this store wrote, heard back: explains the notifications of its keys. */
  #echo (change: Change): void {
    for (const key of Object.keys(change.set)) this.#suspects.delete(key)
    for (const key of change.del) this.#suspects.delete(key)
  }

  // A key changed by someone: drop an override (the next check fetches it),
  // re-read a definition value. Our own writes come back this way too, and
  // cost one read each.
  #touched (key: string): void {
    this.#changed(key)
    // The announcement of a write by the library follows its notification:
    // only a key still unexplained after a sync was written by another program.
    this.#suspect(key, undefined)
    if (this.#drop(key)) return
    if (this.#defaults.has(key) || this.#watched.has(key)) this.#fetch([], [key]).catch(() => {})
  }

  /**
   * Re-reads every definition value. Without storing defaults: a value
   * found missing is dropped, and the next check stores the default.
   */
  async #refresh (): Promise<void> {
    if (this.#defaults.size + this.#watched.size > 0) await this.#fetch([], [...this.#defaults.keys(), ...this.#watched.keys()])
  }

  async #fetch (init: ReadonlyArray<readonly [string, string]>, keys: readonly string[], timeout = this.#settings.readTimeout): Promise<Array<string | null>> {
    const known = (key: string): string | null => this.#values.get(key) ?? this.#watched.get(key) ?? this.#overrides.get(key)?.value ?? null
    const fallback = (): Array<string | null> => [...init.map(([key]) => known(key)), ...keys.map(known)]
    if (!this.#healthy(Date.now())) return fallback()
    const since = this.#changeLog.length
    this.#fetching++
    let values: Array<string | null>
    try {
      values = await this.#bounded(this.#source.read(init, keys), timeout, 'reading')
    } catch (err) {
      this.#failed(err)
      return fallback()
    } finally {
      this.#fetching--
    }
    this.#recovered()
    const changed = new Set(this.#changeLog.slice(since))
    if (this.#fetching === 0) this.#changeLog.length = 0
    if (!changed.has('*')) {
      const fetched = [...init.map(([key]) => key), ...keys]
      fetched.forEach((key, i) => {
        if (changed.has(key)) return
        const value = values[i] ?? null
        const before = this.#known(key)
        this.#store(key, value)
        // Overrides a clear of ours is deleting are not news.
        const ours = this.#clearing > 0 && !this.#defaults.has(key)
        if (before !== undefined && !ours && this.#differs(key, before, value)) this.#suspect(key, value)
      })
    }
    return values
  }

  /**
   * Notes that `key` was found changed, `value` its new value when known;
   * reported as a change from outside unless its announcement arrives
   * before a sync with the store completes. Only while following changes:
   * without announcements, a process could not tell another one's write
   * from a foreign one.
   */
  #suspect (key: string, value: string | null | undefined): void {
    if (this.#unsubscribe === undefined || !this.#feed.wants(key)) return
    const known = this.#suspects.get(key)
    this.#suspects.set(key, { value: value === undefined ? known?.value : value, at: ++this.#suspicions })
    this.#confirm()
  }

  /** Reports the suspicions a sync confirms; one sync at a time. */
  #confirm (): void {
    if (this.#confirming || this.#suspects.size === 0) return
    this.#confirming = true
    this.#confirmAll().catch(() => {}).finally(() => { this.#confirming = false })
  }

  async #confirmAll (): Promise<void> {
    while (this.#suspects.size > 0 && this.#unsubscribe !== undefined) {
      const upTo = this.#suspicions
      // A sync that fails leaves the suspicions for the next one.
      await this.#bounded(this.#source.sync?.() ?? Promise.resolve(), this.#settings.writeTimeout, 'syncing')
      const confirmed: Array<[string, string | null | undefined]> = []
      for (const [key, suspect] of this.#suspects) {
        if (suspect.at > upTo) continue
        this.#suspects.delete(key)
        confirmed.push([key, suspect.value])
      }
      const unknown = confirmed.filter(([, value]) => value === undefined).map(([key]) => key)
      let read: Array<string | null> = []
      if (unknown.length > 0) {
        try {
          read = await this.#bounded(this.#source.read([], unknown), this.#settings.readTimeout, 'reading')
        } catch {} // reported without the value
      }
      let at = 0
      for (const [key, value] of confirmed) {
        const known = value === undefined ? read[at++] : value
        this.#feed.change({ key, value: known, source: 'outside' })
      }
    }
  }

  #changed (key: string): void {
    if (this.#fetching > 0) this.#changeLog.push(key)
  }

  async #write (operation: () => Promise<void>, learn: () => void): Promise<void> {
    // Never queue a write for a reconnect: the caller would be told nothing
    // while it waits, or that it failed when it is applied later.
    const available = this.available() || (await this.#source.whenAvailable?.(this.#settings.writeTimeout) ?? false)
    if (!available) throw new PancakeStoreError('the store is not connected; nothing was changed')
    try {
      await this.#bounded(operation(), this.#settings.writeTimeout, 'writing')
    } catch (err) {
      throw Object.assign(new PancakeStoreError((err as Error).message), { cause: err })
    }
    learn()
  }

  #healthy (now: number): boolean {
    return now >= this.#retryAt && this.available()
  }

  #failed (err: unknown): void {
    // Give the store a moment before the next request waits on it again.
    this.#retryAt = Date.now() + Math.min(this.#settings.staleness, 1000)
    if (this.#down) return
    this.#down = true
    this.#settings.log.warn({ err }, 'fastify-pancake: the store is not answering; checks use the last known values, else defaults, until it is back')
    this.#feed.down(err instanceof Error ? err : new Error(String(err)))
  }

  #recovered (): void {
    if (!this.#down) return
    this.#down = false
    this.#settings.log.info('fastify-pancake: the store answers again; reloading cached values')
    this.#feed.up()
    this.resync().catch(() => {})
  }

  async #bounded<T>(operation: Promise<T>, ms: number, what: string): Promise<T> {
    return await within(operation, ms, () => new Error(`${what} took longer than ${ms} ms`))
  }
}
