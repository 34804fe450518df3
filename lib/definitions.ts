import {
  PancakeCannotDeriveError,
  PancakeInvalidDefaultError,
  PancakeInvalidNameError,
  PancakeInvalidValueError,
  PancakeNoContextError
} from './errors.js'
import { normalizeObjectId } from './groups.js'
import type { PancakeInstance, Readable } from './instance.js'
import {
  decodeBoolean,
  decodeSample,
  definitionKey,
  encodeBoolean,
  encodeSample,
  isSampleValue,
  objectKeyPrefix,
  trackingKey,
  type DefinitionKind
} from './keys.js'
import { isPromise, type Maybe } from './maybe.js'
import { DEFAULT_INSTANCE, definitions } from './registry.js'
import { storage, type ObjectIds, type Scope } from './scope.js'
import type { PancakeStore } from './store/store.js'

/** An object id given explicitly rather than derived from the request. */
export type ObjectIdInput = string | number

interface Context {
  scope: Scope
  pancake: PancakeInstance
}

const NO_KEYS: readonly string[] = []

abstract class Definition<T> implements Readable {
  /** The name as given; the store key uses it upper-cased. */
  readonly name: string
  readonly default: T
  /** The name of the pancake instance this definition belongs to. */
  readonly instance: string
  /** The store key: `SWITCH:EXT:NAME`, `FLAG:EXT:NAME` or `SAMPLE:EXT:NAME`. */
  readonly key: string
  /** The default as the store holds it (`"1"`, `"0"`, `"42"`), stored when the key is absent. */
  readonly storedDefault: string
  /** @internal `[[key, storedDefault]]`, as a store read takes it. */
  readonly init: ReadonlyArray<readonly [key: string, value: string]>
  readonly #kind: DefinitionKind

  protected constructor (kind: DefinitionKind, name: string, defaultValue: T, instance: string, storedDefault: string) {
    for (const [what, value] of [[kind.toLowerCase(), name], ['pancake instance', instance]] as const) {
      if (typeof value !== 'string' || value === '') {
        throw new PancakeInvalidNameError(what, JSON.stringify(value) ?? String(value))
      }
    }
    this.#kind = kind
    this.name = name
    this.default = defaultValue
    this.instance = instance
    this.key = definitionKey(kind, instance, name)
    this.storedDefault = storedDefault
    this.init = [[this.key, storedDefault]]
  }

  /** Deletes the stored value: the next check stores the default again. */
  async clear (): Promise<void> {
    const { scope, pancake } = this.context()
    scope.forget(this.key)
    await pancake.store.delete(this.key)
  }

  /** Whether the definition is active for the current request. */
  isActive (): Promise<boolean> {
    // The hot path: once per request a check computes its answer, usually
    // from memory and without a promise of its own; after that it is a
    // lookup.
    const scope = storage.getStore()
    if (scope === undefined) return Promise.reject(this.#noContext())
    const known = scope.memo?.get(this.key)
    if (known !== undefined) return known
    let answer: Maybe<boolean>
    try {
      answer = this.answer(scope, scope.pancakes.get(this.instance))
    } catch (err) {
      return Promise.reject(err)
    }
    return scope.settle(this.key, answer)
  }

  /** This definition's answer for the request of `scope`, now or once read. */
  protected abstract answer (scope: Scope, pancake: PancakeInstance): Maybe<boolean>

  /** The definition's stored value, decoded; the default when absent or unparseable. */
  protected decodeOwn (pancake: PancakeInstance, raw: string | null | undefined, parse: (raw: string) => T | undefined): T {
    return pancake.decode(this.key, raw ?? null, parse) ?? this.default
  }

  protected context (): Context {
    const scope = storage.getStore()
    if (scope === undefined) throw this.#noContext()
    return { scope, pancake: scope.pancakes.get(this.instance) }
  }

  #noContext (): Error {
    return new PancakeNoContextError(`${this.#kind} '${this.name}'`)
  }
}

abstract class Toggle extends Definition<boolean> {
  protected constructor (kind: 'Switch' | 'Flag', name: string, defaultValue: boolean, instance: string) {
    if (typeof defaultValue !== 'boolean') {
      throw new PancakeInvalidDefaultError(kind.toLowerCase(), String(name), 'true or false')
    }
    super(kind, name, defaultValue, instance, encodeBoolean(defaultValue))
  }

  async enable (): Promise<void> {
    await this.#write(true)
  }

  async disable (): Promise<void> {
    await this.#write(false)
  }

  /** The global value, ignoring every group override. */
  protected globally (scope: Scope, pancake: PancakeInstance): Maybe<boolean> {
    const values = pancake.read(scope, this, NO_KEYS)
    return isPromise(values)
      ? values.then(([raw]) => this.decodeOwn(pancake, raw, decodeBoolean))
      : this.decodeOwn(pancake, values[0], decodeBoolean)
  }

  async #write (value: boolean): Promise<void> {
    const { scope, pancake } = this.context()
    scope.forget(this.key)
    await pancake.store.set(this.key, encodeBoolean(value))
  }
}

/** Globally on or off. */
export class Switch extends Toggle {
  /**
   * @param name the switch's name; its key is `SWITCH:<instance>:<NAME>`.
   * @param defaultValue the value stored on first read.
   * @param instance the pancake instance it belongs to (default `pancake`).
   */
  constructor (name: string, defaultValue: boolean, instance: string = DEFAULT_INSTANCE) {
    super('Switch', name, defaultValue, instance)
    definitions.of(instance).switches.set(name, this)
  }

  /** Whether the switch is on. One store read per request at most. */
  protected answer (scope: Scope, pancake: PancakeInstance): Maybe<boolean> {
    return this.globally(scope, pancake)
  }
}

/**
 * On or off globally, overridable per object of each group (a user, a
 * company, "superusers"). A check walks the instance's groups in order: the
 * first group whose object has an override decides, else the global value.
 */
export class Flag extends Toggle {
  constructor (name: string, defaultValue: boolean, instance: string = DEFAULT_INSTANCE) {
    super('Flag', name, defaultValue, instance)
    definitions.of(instance).flags.set(name, this)
  }

  /**
   * Whether the flag is on for the current request: the group functions
   * are called once per request, and every override key goes to the store
   * in one read with the global value.
   */
  protected answer (scope: Scope, pancake: PancakeInstance): Maybe<boolean> {
    const ids = pancake.objectIds(scope)
    return isPromise(ids) ? ids.then((settled) => this.#decide(scope, pancake, settled)) : this.#decide(scope, pancake, ids)
  }

  /** The global value, ignoring every group override. */
  async isActiveGlobally (): Promise<boolean> {
    const { scope, pancake } = this.context()
    return await this.globally(scope, pancake)
  }

  /** @internal The override keys of the request's objects, in group order. */
  overrideKeys (ids: ObjectIds): string[] {
    const keys: string[] = []
    for (const [group, id] of ids) {
      if (id !== undefined) keys.push(`${this.#objectKeyPrefix(group)}:${id}`)
    }
    return keys
  }

  #decide (scope: Scope, pancake: PancakeInstance, ids: ObjectIds): Maybe<boolean> {
    const known = pancake.peekObjects(scope, this, this.#prefix, ids)
    if (known !== undefined) return this.#choose(pancake, ids, known)
    const values = pancake.read(scope, this, this.overrideKeys(ids))
    return isPromise(values) ? values.then((settled) => this.#choose(pancake, ids, settled)) : this.#choose(pancake, ids, values)
  }

  /** The first override that holds a value, else the global value. */
  #choose (pancake: PancakeInstance, ids: ObjectIds, values: ReadonlyArray<string | null>): boolean {
    let at = 1
    for (const [group, id] of ids) {
      if (id === undefined) continue
      const raw = values[at++] ?? null
      // A value we never write is logged under its key, built only then.
      const override = raw === null ? undefined : decodeBoolean(raw) ?? pancake.decode(`${this.#objectKeyPrefix(group)}:${id}`, raw, decodeBoolean)
      if (override !== undefined) return override
    }
    return this.decodeOwn(pancake, values[0], decodeBoolean)
  }

  /**
   * The override for one object of a group: `true`, `false`, or `null` when
   * it has none. Without `objectId`, the current request's object.
   */
  async isActiveGroup (group: string, objectId?: ObjectIdInput): Promise<boolean | null> {
    const { scope, pancake, key } = await this.#object(group, objectId)
    const [raw] = await pancake.read(scope, undefined, [key])
    return pancake.decode(key, raw ?? null, decodeBoolean) ?? null
  }

  async enableGroup (group: string, objectId?: ObjectIdInput): Promise<void> {
    await this.#changeObject(group, objectId, async (store, key, tracking) => await store.setTracked(key, tracking, encodeBoolean(true)))
  }

  async disableGroup (group: string, objectId?: ObjectIdInput): Promise<void> {
    await this.#changeObject(group, objectId, async (store, key, tracking) => await store.setTracked(key, tracking, encodeBoolean(false)))
  }

  /** Removes one object's override. */
  async clearGroup (group: string, objectId?: ObjectIdInput): Promise<void> {
    await this.#changeObject(group, objectId, async (store, key, tracking) => await store.deleteTracked(key, tracking))
  }

  /** Removes the override of every object of a group. */
  async clearAllGroup (group: string): Promise<void> {
    const { scope, pancake } = this.context()
    pancake.group(group)
    scope.forget(this.key)
    const tracking = trackingKey(this.instance, group, this.name)
    const others = await pancake.store.clearTracked(tracking, `${this.#objectKeyPrefix(group)}:`)
    if (others !== undefined && others.length > 0) {
      // Not an override of this flag: written into the set by hand or by
      // another program. Left alone, reported once (the set is gone).
      pancake.log.warn({ pancake: this.instance, tracking, count: others.length, keys: others.slice(0, 10).map((key) => key.slice(0, 200)) },
        `fastify-pancake: clearing ${tracking} left alone ${others.length} key(s) it named that are not overrides of flag ${this.name}`)
    }
  }

  // A check builds one override key per group: keep each group's prefix
  // (`FLAG:EXT:k:GROUP:NAME`) rather than upper-casing the name every time.
  readonly #prefixes = new Map<string, string>()
  readonly #prefix = (group: string): string => this.#objectKeyPrefix(group)

  #objectKeyPrefix (group: string): string {
    let prefix = this.#prefixes.get(group)
    if (prefix === undefined) {
      prefix = objectKeyPrefix(this.instance, group, this.name)
      this.#prefixes.set(group, prefix)
    }
    return prefix
  }

  async #changeObject (group: string, objectId: ObjectIdInput | undefined, change: (store: PancakeStore, key: string, tracking: string) => Promise<void>): Promise<void> {
    const { scope, pancake, key, tracking } = await this.#object(group, objectId)
    scope.forget(this.key)
    await change(pancake.store, key, tracking)
  }

  async #object (group: string, objectId: ObjectIdInput | undefined): Promise<Context & { key: string, tracking: string }> {
    const context = this.context()
    const { scope, pancake } = context
    pancake.group(group)
    const id = objectId === undefined ? await pancake.objectId(scope, group) : normalizeObjectId(objectId)
    if (id === undefined) throw new PancakeCannotDeriveError(group)
    return {
      ...context,
      key: `${this.#objectKeyPrefix(group)}:${id}`,
      tracking: trackingKey(this.instance, group, this.name)
    }
  }
}

/**
 * Active for a percentage of requests. The first check in a request draws
 * `r` in [0, 100]; the sample is active iff `r <= value`. The outcome holds
 * for the rest of the request and is kept in a signed cookie, so the same
 * browser gets the same outcome next time.
 */
export class Sample extends Definition<number> {
  constructor (name: string, defaultValue: number, instance: string = DEFAULT_INSTANCE) {
    if (!isSampleValue(defaultValue)) {
      throw new PancakeInvalidDefaultError('sample', String(name), 'in the range [0, 100]')
    }
    super('Sample', name, defaultValue, instance, encodeSample(defaultValue))
    definitions.of(instance).samples.set(name, this)
  }

  protected answer (scope: Scope, pancake: PancakeInstance): Maybe<boolean> {
    const outcomes = pancake.sampleOutcomes(scope)
    const known = outcomes.get(this.name)
    if (known !== undefined) return known
    const draw = (value: number): boolean => {
      // r <= value, compared as r / 100 <= value / 100: scaling the draw up
      // rounds (0.07 * 100 is 7.000000000000001), so a draw equal to the
      // value would not count as active.
      const active = pancake.random() <= value / 100
      outcomes.set(this.name, active)
      pancake.sendSampleCookie(scope, outcomes)
      return active
    }
    const value = this.#read(scope, pancake)
    return isPromise(value) ? value.then(draw) : draw(value)
  }

  /** The stored percentage, storing the default first if there is none. */
  async get (): Promise<number> {
    const { scope, pancake } = this.context()
    return await this.#read(scope, pancake)
  }

  /** Stores a new percentage; rejects anything outside [0, 100]. */
  async set (value: number): Promise<void> {
    if (!isSampleValue(value)) throw new PancakeInvalidValueError(this.name)
    const { scope, pancake } = this.context()
    scope.forget(this.key)
    await pancake.store.set(this.key, encodeSample(value))
  }

  #read (scope: Scope, pancake: PancakeInstance): Maybe<number> {
    const values = pancake.read(scope, this, NO_KEYS)
    return isPromise(values)
      ? values.then(([raw]) => this.decodeOwn(pancake, raw, decodeSample))
      : this.decodeOwn(pancake, values[0], decodeSample)
  }
}

export type AnyDefinition = Switch | Flag | Sample
