import { auditStream, DEFAULT_AUDIT_LENGTH, type AuditFields, type AuditRecord, type WriteOrigin } from './audit.js'
import { AsyncLocalStorage } from 'node:async_hooks'
import type { CookieSerializeOptions } from '@fastify/cookie'
import type { FastifyBaseLogger } from 'fastify'
import { PancakeInvalidContextError, PancakeInvalidGroupError, PancakeNoGroupsError } from './errors.js'
import {
  decideFlag,
  decideOwn,
  drawAtRandom,
  drawById,
  knownOutcome,
  samplePercentage,
  type Decided,
  type DecidedFlag,
  type DecidedSample,
  type Evaluation,
  type EvaluationContext,
  type Warn
} from './evaluation.js'
import { normalizeObjectId, type Group } from './groups.js'
import { MAX_VALUE_LENGTH, RAW_FALSE, RAW_TRUE } from './keys.js'
import { isPromise, type Maybe } from './maybe.js'
import { readSampleCookie, writeSampleCookie } from './sampleCookie.js'
import type { ObjectIds, SampleOutcomes, Scope } from './scope.js'
import type { PancakeStore } from './store/store.js'

/** A request's scope (or one of `app.pancakes.run()`), whose instances are engines. */
export type RequestScope = Scope<Engine>

/** The scope of the current request, entered by the plugin's hooks and by `app.pancakes.run()`. */
export const storage = new AsyncLocalStorage<RequestScope>()

export interface EngineSettings {
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

// Memory for the bad values remembered for "log once", in characters;
// beyond it, we stop remembering (and logging) rather than grow. A value
// longer than any valid one is remembered, and logged, by its length and
// its first characters only.
const MAX_WARNED_CHARS = 256 * 1024
const LOGGED_CHARS = MAX_VALUE_LENGTH
// Combinations of sample outcomes whose signed cookie is kept.
const MAX_SIGNED_COOKIES = 256

const NO_IDS: ObjectIds = []
const NO_INIT: ReadonlyArray<readonly [string, string]> = []
const NO_KEYS: readonly string[] = []
const NO_VALUES: ReadonlyArray<string | null> = []

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

/** An id given in an explicit context: `null`, `undefined`, `''` and `NaN` are no id. */
function contextId (group: string, id: unknown): string | undefined {
  if (id === null || id === undefined || id === '') return undefined
  if (typeof id === 'string') return id
  if (typeof id === 'number') return Number.isFinite(id) ? String(id) : undefined
  throw new PancakeInvalidContextError(`the id of group '${group}' must be a string or a number, got ${typeof id}`)
}

/**
 * The evaluation engine of one instance: reads what a decision needs (from
 * what the request already read, from the near-cache's memory, or from the
 * store in one batched round trip) and leaves the deciding to the pure
 * functions of `evaluation`. The context of a decision is a list of object
 * ids by group: a request's scope supplies them through the group
 * functions, a caller of {@link evaluate} gives them explicitly.
 */
export class Engine {
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
  #warnedChars = 0
  readonly #signedCookies = new Map<string, string>()
  /** What requests of each route checked, read together by the next request of the route. */
  readonly #checkedByRoute = new Map<string, Set<Decided>>()

  constructor (settings: EngineSettings) {
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

  /** @internal What a write made in `scope` appends to the audit trail. */
  auditRecord (scope: RequestScope, what: Omit<AuditFields, 'actor' | 'source'>): AuditRecord {
    const { actor, source } = scope.origin ?? APP_ORIGIN
    return { stream: this.auditStream, maxLength: this.auditLength, fields: { actor, source, ...what } }
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

  /**
   * @internal The answer for the request of `scope`, now (an evaluation) or
   * once read (a native promise): what
   * `isActive()` and an `evaluate()` without a context give.
   */
  decide (scope: RequestScope, definition: Decided): Maybe<Evaluation> {
    switch (definition.kind) {
      case 'switch': return this.#own(scope, definition)
      case 'flag': {
        const ids = this.objectIds(scope)
        return isPromise(ids) ? ids.then((settled) => this.#flag(scope, definition, settled)) : this.#flag(scope, definition, ids)
      }
      case 'sample': return this.#sample(scope, definition)
    }
  }

  /**
   * @internal Evaluates a definition of this instance. With `context`, for exactly
   * those object ids (group functions are not called); without, inside a
   * request of this instance's app, for the request (as `isActive()`
   * answers), and elsewhere for no object (the global value).
   */
  async evaluateFor (definition: Decided, context?: EvaluationContext): Promise<Evaluation> {
    const scope = storage.getStore()
    if (context === undefined && scope !== undefined && scope.pancakes.has(this.name) && scope.pancakes.get(this.name) === this) {
      const evaluation = await this.decide(scope, definition)
      // An outcome the sample cookie brought back was not read with its percentage.
      if (definition.kind !== 'sample' || evaluation.percentage !== undefined) return evaluation
      return { ...evaluation, percentage: await this.percentage(scope, definition) }
    }
    const ids = context === undefined ? NO_IDS : this.idsOf(context)
    switch (definition.kind) {
      case 'switch': return await this.#own(undefined, definition)
      case 'flag': return await this.#flag(undefined, definition, ids)
      case 'sample': {
        const percentage = await this.percentage(undefined, definition)
        const id = definition.stickyBy === undefined ? undefined : ids.find(([group]) => group === definition.stickyBy)?.[1]
        return id === undefined ? drawAtRandom(this.random, percentage) : drawById(definition, definition.stickyBy as string, id, percentage)
      }
    }
  }

  /** The object ids of an explicit context, in group order; an unknown group is an error. */
  idsOf (context: EvaluationContext): ObjectIds {
    if (context === null || typeof context !== 'object' || Array.isArray(context)) {
      throw new PancakeInvalidContextError('it must be an object of object ids by group name')
    }
    for (const group of Object.keys(context)) this.group(group)
    if (this.groups.length === 0) return NO_IDS
    return this.groups.map((group) => [group.name, contextId(group.name, context[group.name])] as const)
  }

  /** The current request's object id in one group, computed once per request. */
  objectId (scope: RequestScope, groupName: string): Maybe<string | undefined> {
    return this.#objectId(scope, this.group(groupName))
  }

  /** The current request's object id in every group, in order; computed once per request. */
  objectIds (scope: RequestScope): Maybe<ObjectIds> {
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

  #objectId (scope: RequestScope, group: Group): Maybe<string | undefined> {
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
    const id = Promise.resolve(raw).then(normalizeObjectId)
    memo.set(group, id)
    id.then((settled) => { memo.set(group, settled) }, () => {})
    return id
  }

  /** A switch: its own value. */
  #own (scope: RequestScope | undefined, definition: Decided & { kind: 'switch' }): Maybe<Evaluation> {
    const values = this.read(scope, definition, NO_KEYS)
    return isPromise(values) ? values.then(([raw]) => decideOwn(definition, raw, this.#warn)) : decideOwn(definition, values[0], this.#warn)
  }

  /** A flag for `ids`: from memory when it holds everything, else read. */
  #flag (scope: RequestScope | undefined, flag: DecidedFlag, ids: ObjectIds): Maybe<Evaluation> {
    const warn = this.#warn
    const known = this.#peekFlag(scope, flag, ids)
    if (known !== undefined) return known
    const decide = (values: ReadonlyArray<string | null>): Evaluation => decideFlag(flag, ids, values, values, values.length - ids.length, warn)
    const values = this.read(scope, flag, this.flagKeys(flag, ids))
    return isPromise(values) ? values.then(decide) : decide(values)
  }

  /**
   * @internal The keys a flag's decision reads besides its own: the
   * override of each object of `ids`, then the rollout of each group.
   */
  flagKeys (flag: DecidedFlag, ids: ObjectIds): string[] {
    const keys: string[] = []
    if (ids.length === 0) return keys
    for (const [group, id] of ids) {
      if (id !== undefined) keys.push(`${flag.objectPrefix(group)}:${id}`)
    }
    keys.push(...flag.rolloutKeys(this.groups))
    return keys
  }

  /**
   * A flag decided from memory; undefined when memory cannot answer, and
   * the caller reads. No key is built: the flag keeps its override prefixes
   * and rollout keys. Rollouts are looked at only when no override decides.
   */
  #peekFlag (scope: RequestScope | undefined, flag: DecidedFlag, ids: ObjectIds): Evaluation | undefined {
    const store = this.store
    if (scope?.values !== undefined || store.peekObject === undefined) return undefined
    const values = store.peek?.(flag.init, NO_KEYS)
    if (values === undefined) return undefined
    if (ids.length === 0) return decideOwn(flag, values[0], this.#warn)
    const now = Date.now()
    for (const [group, id] of ids) {
      if (id === undefined) continue
      const value = store.peekObject(flag.objectPrefix(group), id, now)
      if (value === undefined) return undefined
      values.push(value)
      // The first override decides: the groups after it need not be known.
      if (value === RAW_TRUE || value === RAW_FALSE) return decideFlag(flag, ids, values, NO_VALUES, 0, this.#warn)
    }
    const rollouts = this.#peekRollouts(flag)
    return rollouts === undefined ? undefined : decideFlag(flag, ids, values, rollouts, 0, this.#warn)
  }

  /**
   * A flag's rollouts from memory. Held without expiry, they are looked up
   * again only when the store's version of them moves: most flags have
   * none, and a check then costs no lookup for them.
   */
  #peekRollouts (flag: DecidedFlag): ReadonlyArray<string | null> | undefined {
    const store = this.store
    const keys = flag.rolloutKeys(this.groups)
    if (store.heldVersion === undefined || store.peekHeld === undefined) return store.peek?.(NO_INIT, keys)
    const version = store.heldVersion()
    const memo = flag.rolloutMemo
    if (memo !== undefined && memo.engine === this && memo.version === version && memo.values.length === keys.length) return memo.values
    const values = store.peekHeld(keys)
    if (values === undefined) return store.peek?.(NO_INIT, keys)
    flag.rolloutMemo = { engine: this, version, values }
    return values
  }

  /** A sample: by the object id of its group when sticky by id and there is one, else by the request's cookie. */
  #sample (scope: RequestScope, sample: DecidedSample): Maybe<Evaluation> {
    const group = sample.stickyBy
    if (group === undefined) return this.#sampleByCookie(scope, sample)
    const id = this.objectId(scope, group)
    const byId = (settled: string | undefined): Maybe<Evaluation> => {
      if (settled === undefined) return this.#sampleByCookie(scope, sample)
      const percentage = this.percentage(scope, sample)
      return isPromise(percentage) ? percentage.then((value) => drawById(sample, group, settled, value)) : drawById(sample, group, settled, percentage)
    }
    return isPromise(id) ? id.then(byId) : byId(id)
  }

  /**
   * The first check of a sample in a request draws; the outcome holds for
   * the rest of the request and is kept in the instance's signed cookie.
   */
  #sampleByCookie (scope: RequestScope, sample: DecidedSample): Maybe<Evaluation> {
    const outcomes = this.sampleOutcomes(scope)
    const known = outcomes.get(sample.name)
    if (known !== undefined) return knownOutcome(known)
    const draw = (percentage: number): Evaluation => {
      const evaluation = drawAtRandom(this.random, percentage)
      outcomes.set(sample.name, evaluation.value)
      this.sendSampleCookie(scope, outcomes)
      return evaluation
    }
    const percentage = this.percentage(scope, sample)
    return isPromise(percentage) ? percentage.then(draw) : draw(percentage)
  }

  /** @internal A sample's stored percentage, else its default. */
  percentage (scope: RequestScope | undefined, sample: DecidedSample): Maybe<number> {
    const values = this.read(scope, sample, NO_KEYS)
    return isPromise(values)
      ? values.then(([raw]) => samplePercentage(sample, raw, this.#warn))
      : samplePercentage(sample, values[0], this.#warn)
  }

  /**
   * @internal The raw values a decision needs: the definition's own (stored
   * as its default when absent), then those of `keys`. Answered, in this
   * order, from what the request already read, from the store's memory, or
   * with one read that also brings what the request's route checked before.
   * Without a scope (an explicit context), from memory or one read.
   */
  read (scope: RequestScope | undefined, definition: Decided | undefined, keys: readonly string[]): Maybe<Array<string | null>> {
    const init = definition?.init ?? NO_INIT
    const known = scope?.values === undefined ? undefined : readFrom(scope.values, init, keys)
    if (known !== undefined) return known
    const now = this.store.peek?.(init, keys)
    if (now !== undefined) return now
    if (scope === undefined) return Promise.resolve(this.store.read(init, keys))
    // Checks made at the same time each read; the store shares the fetch
    // of a key already under way.
    return this.#batch(scope, definition, init, keys)
  }

  /**
   * Reads what a check needs together with what the request's route
   * checked in earlier requests and this request has not read yet: with a
   * cold or absent near-cache, a request makes one round trip, not one per
   * check. The first requests of a route teach it.
   */
  #batch (scope: RequestScope, definition: Decided | undefined, init: ReadonlyArray<readonly [string, string]>, keys: readonly string[]): Promise<Array<string | null>> {
    const others = this.#learn(scope, definition)
    const writes = scope.writes
    const read = (ids: ObjectIds | undefined): Promise<Array<string | null>> => {
      const allInit = [...init]
      const allKeys = [...keys]
      for (const other of others) {
        allInit.push(...other.init)
        if (ids !== undefined && other.kind === 'flag') allKeys.push(...this.flagKeys(other, ids))
      }
      return Promise.resolve(this.store.read(allInit, allKeys)).then((values) => {
        // What was read before a write of this request is not kept for it.
        if (scope.writes === writes) {
          const remembered = (scope.values ??= new Map())
          allInit.forEach(([key], i) => { remembered.set(key, values[i] ?? null) })
          allKeys.forEach((key, i) => { remembered.set(key, values[allInit.length + i] ?? null) })
        }
        return [...values.slice(0, init.length), ...values.slice(allInit.length, allInit.length + keys.length)]
      })
    }
    const ids = others.some((other) => other.kind === 'flag') ? this.#idsForBatch(scope) : undefined
    // A group function that fails leaves the overrides out here, and fails
    // the flag checks that need them.
    return isPromise(ids) ? ids.then(read, async () => await read(undefined)) : read(ids)
  }

  /**
   * The request's object ids for a batched read, which then brings the
   * overrides and rollouts of the flags still to be checked. The batch that
   * starts the group functions waits for them; any other (one made by a
   * group function that checks a definition, before or after its first
   * await) goes without them instead of waiting, so that nothing waits for
   * itself.
   */
  #idsForBatch (scope: RequestScope): Maybe<ObjectIds> | undefined {
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
  #learn (scope: RequestScope, definition: Decided | undefined): Decided[] {
    const route = scope.route
    if (route === null) return []
    let checked = this.#checkedByRoute.get(route)
    if (checked === undefined) {
      checked = new Set()
      this.#checkedByRoute.set(route, checked)
    }
    if (definition !== undefined) checked.add(definition)
    const others: Decided[] = []
    for (const other of checked) {
      if (other !== definition && scope.memo?.has(other.key) !== true && scope.values?.has(other.key) !== true) others.push(other)
    }
    return others
  }

  /**
   * The request's sample outcomes for this instance, read from its cookie
   * once; the reply sends them back, so the cookie lives on.
   */
  sampleOutcomes (scope: RequestScope): SampleOutcomes {
    scope.samples ??= new Map()
    let outcomes = scope.samples.get(this.name)
    if (outcomes === undefined) {
      outcomes = readSampleCookie(scope.request, this.cookieName, this.knowsSample)
      scope.samples.set(this.name, outcomes)
      this.sendSampleCookie(scope, outcomes)
    }
    return outcomes
  }

  /** Whether this instance defines a sample of that name: the sample cookie keeps only those. */
  protected knowsSample = (_name: string): boolean => true

  /** @internal Sets the instance's sample cookie on the reply, replacing one set before. */
  sendSampleCookie (scope: RequestScope, outcomes: SampleOutcomes): void {
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
  decode<T>(key: string, raw: string | null, parse: (raw: string) => T | undefined, instead = 'the default applies'): T | undefined {
    if (raw === null) return undefined
    const value = parse(raw)
    if (value === undefined) this.#warn(key, raw, instead)
    return value
  }

  /** Logs a value that does not parse, once per key and value, within a bounded memory. */
  readonly #warn: Warn = (key, raw, instead) => {
    const long = raw.length > MAX_VALUE_LENGTH
    const shown = long ? raw.slice(0, LOGGED_CHARS) : raw
    // A slice of a long string can keep the whole string alive: remember a
    // copy of the few characters it shows, not a view of the value.
    const seen = long ? `${key}\u0000${raw.length}\u0000${Buffer.from(shown, 'utf16le').toString('utf16le')}` : `${key}\u0000${raw}`
    if (this.#warned.has(seen) || this.#warnedChars + seen.length > MAX_WARNED_CHARS) return
    this.#warned.add(seen)
    this.#warnedChars += seen.length
    this.log.warn({ pancake: this.name, key, value: long ? `${shown}…` : raw, length: raw.length }, `fastify-pancake: ignoring a stored value it cannot parse; ${instead}`)
  }
}
