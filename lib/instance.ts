import type { CookieSerializeOptions } from '@fastify/cookie'
import type { FastifyBaseLogger } from 'fastify'
import { auditStream, DEFAULT_AUDIT_LENGTH, type AuditEntry, type AuditFields, type AuditRecord, type HistoryQuery, type WriteOrigin } from './audit.js'
import type { Flag, Sample, Switch } from './definitions.js'
import { PancakeInvalidGroupError, PancakeNoGroupsError } from './errors.js'
import { normalizeObjectId, type Group } from './groups.js'
import { isPromise, type Maybe } from './maybe.js'
import { RAW_FALSE, RAW_TRUE } from './keys.js'
import { definitions } from './registry.js'
import { readSampleCookie, writeSampleCookie } from './sampleCookie.js'
import type { ObjectIds, Scope, SampleOutcomes } from './scope.js'
import type { PancakeStore } from './store/store.js'

export interface PancakeInstanceSettings {
  name: string
  store: PancakeStore
  groups: readonly Group[]
  cookieName: string
  cookieOptions: CookieSerializeOptions
  random: () => number
  log: FastifyBaseLogger
  /** How many entries the audit trail keeps, about (default 10000). */
  auditLength?: number
}

/** Who writes are audited as when nobody said: the app's own code. */
const APP_ORIGIN: WriteOrigin = { actor: 'app', source: 'api' }

// Distinct bad values remembered for "log once"; beyond this, we stop
// remembering rather than grow without bound.
const MAX_WARNED = 1000
// Combinations of sample outcomes whose signed cookie is kept.
const MAX_SIGNED_COOKIES = 256

const NO_IDS: ObjectIds = []
const NO_INIT: ReadonlyArray<readonly [string, string]> = []
const NO_KEYS: readonly string[] = []

/** What {@link PancakeInstance.read} needs of a definition. */
export interface Readable {
  readonly key: string
  /** `[[key, stored default]]`: the definition's value, stored as its default when absent. */
  readonly init: ReadonlyArray<readonly [key: string, value: string]>
  /** A flag's override keys for the request's objects. */
  overrideKeys?: (ids: ObjectIds) => string[]
}

/** The values of `init`'s keys and then of `keys` from `values`, if it holds them all. */
function readFrom (values: ReadonlyMap<string, string | null>, init: ReadonlyArray<readonly [string, string]>, keys: readonly string[]): Array<string | null> | undefined {
  const found: Array<string | null> = []
  for (const [key] of init) {
    const value = values.get(key)
    if (value === undefined) return undefined
    found.push(value)
  }
  for (const key of keys) {
    const value = values.get(key)
    if (value === undefined) return undefined
    found.push(value)
  }
  return found
}

/**
 * One registration of the plugin: a store, the group functions in order, and
 * the sample cookie settings. Its definitions are those made with its name.
 * Reach it with `app.pancakes.get(name)`.
 */
export class PancakeInstance {
  readonly name: string
  readonly store: PancakeStore
  /** Group functions in registration order: the order a flag check walks. */
  readonly groups: readonly Group[]
  readonly cookieName: string
  readonly cookieOptions: Readonly<CookieSerializeOptions>
  /** Returns a number in [0, 1); samples draw `random() * 100`. */
  readonly random: () => number
  readonly log: FastifyBaseLogger
  /** The audit stream of the instance: `PANCAKE:<name>:audit`. */
  readonly auditStream: string
  /** How many entries the audit trail keeps, about. */
  readonly auditLength: number
  readonly #groupsByName: ReadonlyMap<string, Group>
  readonly #warned = new Set<string>()
  readonly #signedCookies = new Map<string, string>()
  /** What requests of each route checked, read together by the next request of the route. */
  readonly #checkedByRoute = new Map<string, Set<Readable>>()

  constructor (settings: PancakeInstanceSettings) {
    this.name = settings.name
    this.store = settings.store
    this.groups = settings.groups
    this.cookieName = settings.cookieName
    this.cookieOptions = settings.cookieOptions
    this.random = settings.random
    this.log = settings.log
    this.auditStream = auditStream(settings.name)
    this.auditLength = settings.auditLength ?? DEFAULT_AUDIT_LENGTH
    this.#groupsByName = new Map(settings.groups.map((group) => [group.name, group]))
  }

  get switches (): ReadonlyMap<string, Switch> {
    return definitions.of(this.name).switches
  }

  get flags (): ReadonlyMap<string, Flag> {
    return definitions.of(this.name).flags
  }

  get samples (): ReadonlyMap<string, Sample> {
    return definitions.of(this.name).samples
  }

  /** Every definition's key and stored default, for loading them in one batch. */
  definitionDefaults (): Array<[key: string, value: string]> {
    const all: Array<[string, string]> = []
    for (const map of [this.switches, this.flags, this.samples]) {
      for (const definition of map.values()) all.push([definition.key, definition.storedDefault])
    }
    return all
  }

  /** @internal What a write made in `scope` appends to the audit trail. */
  auditRecord (scope: Scope, what: Omit<AuditFields, 'actor' | 'source'>): AuditRecord {
    const { actor, source } = scope.origin ?? APP_ORIGIN
    return { stream: this.auditStream, maxLength: this.auditLength, fields: { actor, source, ...what } }
  }

  /**
   * The newest entries of the audit trail, newest first: every write made
   * through the library (API, routes, CLI), with who made it and the value
   * before and after. `name` keeps those of one definition.
   */
  async history (query: { limit?: number, name?: string } = {}): Promise<AuditEntry[]> {
    const limit = query.limit ?? 100
    const full: HistoryQuery = query.name === undefined ? { limit } : { limit, name: query.name }
    return await this.store.history?.(this.auditStream, full) ?? []
  }

  /** The group names in registration order. */
  get groupIds (): string[] {
    return this.groups.map((group) => group.name)
  }

  /** The group of that name; the flask-pancake errors when there is none. */
  group (name: string): Group {
    const group = this.#groupsByName.get(name)
    if (group !== undefined) return group
    if (this.groups.length === 0) throw new PancakeNoGroupsError(this.name)
    throw new PancakeInvalidGroupError(name, this.name)
  }

  /** The current request's object id in one group, computed once per request. */
  objectId (scope: Scope, groupName: string): Maybe<string | undefined> {
    return this.#objectId(scope, this.group(groupName))
  }

  /** The current request's object id in every group, in order; computed once per request. */
  objectIds (scope: Scope): Maybe<ObjectIds> {
    if (scope.request === undefined || this.groups.length === 0) return NO_IDS
    const memo = (scope.objectIds ??= new Map())
    let known = memo.get(this.name)
    if (known === undefined) {
      const ids: Array<Maybe<string | undefined>> = []
      let pending = false
      for (const group of this.groups) {
        const id = this.#objectId(scope, group)
        pending ||= isPromise(id)
        ids.push(id)
      }
      const pair = (values: ReadonlyArray<string | undefined>): ObjectIds =>
        values.map((id, i) => [(this.groups[i] as Group).name, id] as const)
      if (pending) {
        known = Promise.all(ids).then(pair)
        // A failing group function fails the flag checks that wait for it;
        // kept unwaited (a batched read), it is no unhandled rejection.
        known.catch(() => {})
      } else {
        known = pair(ids as Array<string | undefined>)
      }
      memo.set(this.name, known)
    }
    return known
  }

  #objectId (scope: Scope, group: Group): Maybe<string | undefined> {
    const request = scope.request
    if (request === undefined) return undefined
    const memo = (scope.groupIds ??= new Map())
    if (memo.has(group)) return memo.get(group)
    let raw: ReturnType<Group['objectId']>
    try {
      raw = group.objectId(request)
    } catch (err) {
      // Kept like an answer: the group function runs once per request.
      raw = Promise.reject(err)
    }
    if (!isPromise(raw)) {
      const id = normalizeObjectId(raw)
      memo.set(group, id)
      return id
    }
    const id = raw.then(normalizeObjectId)
    memo.set(group, id)
    id.then((settled) => { memo.set(group, settled) }, () => {})
    return id
  }

  /**
   * @internal The raw values a check needs: the definition's own (stored as its
   * default when absent), then those of `keys`. Answered, in this order,
   * from what the request already read, from the store's memory, or with
   * one read that also brings what the request's route checked before.
   */
  read (scope: Scope, definition: Readable | undefined, keys: readonly string[]): Maybe<Array<string | null>> {
    const init = definition?.init ?? NO_INIT
    const known = scope.values === undefined ? undefined : readFrom(scope.values, init, keys)
    if (known !== undefined) return known
    const now = this.store.peek?.(init, keys)
    if (now !== undefined) return now
    // Checks made at the same time each read; the store shares the fetch
    // of a key already under way.
    return this.#batch(scope, definition, init, keys)
  }

  /**
   * @internal A flag's raw values from memory: its own, then the override of each
   * object in `ids` that has an id; undefined when memory cannot answer,
   * and the caller reads. Builds no key: `prefix(group)` is kept by the flag.
   */
  peekObjects (scope: Scope, definition: Readable, prefix: (group: string) => string, ids: ObjectIds): Array<string | null> | undefined {
    const store = this.store
    if (scope.values !== undefined || store.peekObject === undefined) return undefined
    const values = store.peek?.(definition.init, NO_KEYS)
    if (values === undefined) return undefined
    const now = Date.now()
    for (const [group, id] of ids) {
      if (id === undefined) continue
      const value = store.peekObject(prefix(group), id, now)
      if (value === undefined) return undefined
      values.push(value)
      // The first override decides: the groups after it need not be known.
      if (value === RAW_TRUE || value === RAW_FALSE) break
    }
    return values
  }

  /**
   * Reads what a check needs together with what the request's route
   * checked in earlier requests and this request has not read yet: with a
   * cold or absent near-cache, a request makes one round trip, not one per
   * check. The first requests of a route teach it.
   */
  #batch (scope: Scope, definition: Readable | undefined, init: ReadonlyArray<readonly [string, string]>, keys: readonly string[]): Promise<Array<string | null>> {
    const others = this.#learn(scope, definition)
    const writes = scope.writes
    const read = (ids: ObjectIds | undefined): Promise<Array<string | null>> => {
      const allInit = [...init]
      const allKeys = [...keys]
      for (const other of others) {
        allInit.push(...other.init)
        if (ids !== undefined) allKeys.push(...other.overrideKeys?.(ids) ?? NO_KEYS)
      }
      return this.store.read(allInit, allKeys).then((values) => {
        // What was read before a write of this request is not kept for it.
        if (scope.writes === writes) {
          const remembered = (scope.values ??= new Map())
          allInit.forEach(([key], i) => { remembered.set(key, values[i] ?? null) })
          allKeys.forEach((key, i) => { remembered.set(key, values[allInit.length + i] ?? null) })
        }
        return [...values.slice(0, init.length), ...values.slice(allInit.length, allInit.length + keys.length)]
      })
    }
    const ids = others.some((other) => other.overrideKeys !== undefined) ? this.#idsForBatch(scope) : undefined
    // A group function that fails leaves the overrides out here, and fails
    // the flag checks that need them.
    return isPromise(ids) ? ids.then(read, async () => await read(undefined)) : read(ids)
  }

  /**
   * The request's object ids for a batched read, which then brings the
   * overrides of the flags still to be checked. The batch that starts the
   * group functions waits for them; any other (one made by a group function
   * that checks a definition, before or after its first await) goes without
   * the overrides instead of waiting, so that nothing waits for itself.
   */
  #idsForBatch (scope: Scope): Maybe<ObjectIds> | undefined {
    const known = scope.objectIds?.get(this.name)
    if (known !== undefined) return isPromise(known) ? undefined : known
    if (scope.computingIds) return undefined
    scope.computingIds = true
    try {
      return this.objectIds(scope)
    } finally {
      scope.computingIds = false
    }
  }

  /**
   * Notes that the request's route checks `definition`, and returns the
   * other definitions it checked before whose values this request has not
   * read yet.
   */
  #learn (scope: Scope, definition: Readable | undefined): Readable[] {
    const route = scope.route
    if (route === null) return []
    let checked = this.#checkedByRoute.get(route)
    if (checked === undefined) {
      checked = new Set()
      this.#checkedByRoute.set(route, checked)
    }
    if (definition !== undefined) checked.add(definition)
    const others: Readable[] = []
    for (const other of checked) {
      if (other !== definition && scope.memo?.has(other.key) !== true && scope.values?.has(other.key) !== true) others.push(other)
    }
    return others
  }

  /**
   * The request's sample outcomes for this instance, read from its cookie
   * once; the reply sends them back, so the cookie lives on.
   */
  sampleOutcomes (scope: Scope): SampleOutcomes {
    scope.samples ??= new Map()
    let outcomes = scope.samples.get(this.name)
    if (outcomes === undefined) {
      outcomes = readSampleCookie(scope.request, this.cookieName)
      scope.samples.set(this.name, outcomes)
      this.sendSampleCookie(scope, outcomes)
    }
    return outcomes
  }

  /** @internal Sets the instance's sample cookie on the reply, replacing one set before. */
  sendSampleCookie (scope: Scope, outcomes: SampleOutcomes): void {
    if (scope.reply !== undefined) writeSampleCookie(scope.reply, this, outcomes)
  }

  /**
   * The signed form of a sample cookie's value. A few samples have few
   * combinations of outcomes, and signing (an HMAC) is most of what a
   * cookie costs, so each combination is signed once.
   */
  signedCookie (value: string, sign: (value: string) => string): string {
    let signed = this.#signedCookies.get(value)
    if (signed === undefined) {
      if (this.#signedCookies.size >= MAX_SIGNED_COOKIES) this.#signedCookies.clear()
      signed = sign(value)
      this.#signedCookies.set(value, signed)
    }
    return signed
  }

  /**
   * Interprets a stored value. A value this library would never write (set
   * by hand, by another program, or of another Redis type) reads as absent,
   * so the caller falls back to the default, and is logged once.
   */
  decode<T>(key: string, raw: string | null, parse: (raw: string) => T | undefined): T | undefined {
    if (raw === null) return undefined
    const value = parse(raw)
    if (value === undefined) {
      const seen = `${key}\u0000${raw}`
      if (!this.#warned.has(seen) && this.#warned.size < MAX_WARNED) {
        this.#warned.add(seen)
        this.log.warn({ pancake: this.name, key, value: raw }, 'fastify-pancake: ignoring a stored value it cannot parse; the default applies')
      }
    }
    return value
  }
}
