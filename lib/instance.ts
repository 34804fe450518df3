import type { CookieSerializeOptions } from '@fastify/cookie'
import type { FastifyBaseLogger } from 'fastify'
import type { Flag, Sample, Switch } from './definitions.js'
import { PancakeInvalidGroupError, PancakeNoGroupsError } from './errors.js'
import { normalizeObjectId, type Group } from './groups.js'
import { isPromise, type Maybe } from './maybe.js'
import { definitions } from './registry.js'
import { readSampleCookie } from './sampleCookie.js'
import type { Scope, SampleOutcomes } from './scope.js'
import type { PancakeStore } from './store/store.js'

export interface PancakeInstanceSettings {
  name: string
  store: PancakeStore
  groups: readonly Group[]
  cookieName: string
  cookieOptions: CookieSerializeOptions
  random: () => number
  log: FastifyBaseLogger
}

// Distinct bad values remembered for "log once"; beyond this, we stop
// remembering rather than grow without bound.
const MAX_WARNED = 1000
// Combinations of sample outcomes whose signed cookie is kept.
const MAX_SIGNED_COOKIES = 256

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
  readonly #groupsByName: ReadonlyMap<string, Group>
  readonly #warned = new Set<string>()
  readonly #signedCookies = new Map<string, string>()

  constructor (settings: PancakeInstanceSettings) {
    this.name = settings.name
    this.store = settings.store
    this.groups = settings.groups
    this.cookieName = settings.cookieName
    this.cookieOptions = settings.cookieOptions
    this.random = settings.random
    this.log = settings.log
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
    const request = scope.request
    if (request === undefined) return undefined
    const group = this.group(groupName)
    const memo = (scope.groupIds ??= new Map())
    const memoKey = `${this.name}\u0000${groupName}`
    if (memo.has(memoKey)) return memo.get(memoKey)
    const raw = group.objectId(request)
    if (!isPromise(raw)) {
      const id = normalizeObjectId(raw)
      memo.set(memoKey, id)
      return id
    }
    const id = raw.then(normalizeObjectId)
    memo.set(memoKey, id)
    id.then((settled) => { memo.set(memoKey, settled) }, () => {})
    return id
  }

  /** The current request's object id in every group, in order. */
  objectIds (scope: Scope): Maybe<Array<[string, string | undefined]>> {
    if (scope.request === undefined || this.groups.length === 0) return []
    const ids = this.groups.map(({ name }) => this.objectId(scope, name))
    const pair = (values: Array<string | undefined>): Array<[string, string | undefined]> =>
      values.map((id, i) => [(this.groups[i] as Group).name, id])
    return ids.some(isPromise) ? Promise.all(ids).then(pair) : pair(ids as Array<string | undefined>)
  }

  /**
   * Reads keys as {@link PancakeStore.read} does and hands the values to
   * `use`: at once when the store answers from memory, else after the read.
   */
  read<T>(init: ReadonlyArray<readonly [string, string]>, keys: readonly string[], use: (values: Array<string | null>) => T): Maybe<T> {
    const now = this.store.peek?.(init, keys)
    return now === undefined ? this.store.read(init, keys).then(use) : use(now)
  }

  /** The request's sample outcomes for this instance, read from its cookie once. */
  sampleOutcomes (scope: Scope): SampleOutcomes {
    scope.samples ??= new Map()
    let outcomes = scope.samples.get(this.name)
    if (outcomes === undefined) {
      outcomes = readSampleCookie(scope.request, this.cookieName)
      scope.samples.set(this.name, outcomes)
    }
    return outcomes
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
