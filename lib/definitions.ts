import {
  PancakeCannotDeriveError,
  PancakeInvalidDefaultError,
  PancakeInvalidNameError,
  PancakeInvalidValueError,
  PancakeNoContextError
} from './errors.js'
import { normalizeObjectId } from './groups.js'
import type { PancakeInstance } from './instance.js'
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
import { then, type Maybe } from './maybe.js'
import { DEFAULT_INSTANCE, definitions } from './registry.js'
import { storage, type Scope } from './scope.js'
import type { PancakeStore } from './store/store.js'

/** An object id given explicitly rather than derived from the request. */
export type ObjectIdInput = string | number

interface Context {
  scope: Scope
  pancake: PancakeInstance
}

abstract class Definition<T> {
  /** The name as given; the store key uses it upper-cased. */
  readonly name: string
  readonly default: T
  /** The name of the pancake instance this definition belongs to. */
  readonly instance: string
  /** The store key: `SWITCH:EXT:NAME`, `FLAG:EXT:NAME` or `SAMPLE:EXT:NAME`. */
  readonly key: string
  /** The default as the store holds it (`"1"`, `"0"`, `"42"`), stored when the key is absent. */
  readonly storedDefault: string
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
  }

  /** Deletes the stored value: the next check stores the default again. */
  async clear (): Promise<void> {
    const { scope, pancake } = this.context()
    scope.forget(this.key)
    await pancake.store.delete(this.key)
  }

  /**
   * Answers a check once per scope. `answer` may answer at once (from
   * memory), so that a warm check settles without a chain of promises; a
   * scope error becomes a rejection, as from an async function.
   */
  protected check<T>(answer: (context: Context) => Maybe<T>): Promise<T> {
    let context: Context
    try {
      context = this.context()
    } catch (err) {
      return Promise.reject(err)
    }
    return context.scope.remember(this.key, () => answer(context))
  }

  protected context (): Context {
    const scope = storage.getStore()
    if (scope === undefined) throw new PancakeNoContextError(`${this.#kind} '${this.name}'`)
    return { scope, pancake: scope.pancakes.get(this.instance) }
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

  /**
   * Reads the global value, storing the default first if there is none,
   * and with it the `overrideKeys`; hands both to `decide`.
   */
  protected readGlobal<T>(pancake: PancakeInstance, overrideKeys: readonly string[], decide: (globally: boolean, overrides: Array<string | null>) => T): Maybe<T> {
    return pancake.read([[this.key, this.storedDefault]], overrideKeys, ([raw, ...overrides]) =>
      decide(pancake.decode(this.key, raw ?? null, decodeBoolean) ?? this.default, overrides))
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
  isActive (): Promise<boolean> {
    return this.check(({ pancake }) => this.readGlobal(pancake, [], (globally) => globally))
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
   * Whether the flag is on for the current request. The group functions and
   * every override key go to the store in one read; the result is kept for
   * the rest of the request.
   */
  isActive (): Promise<boolean> {
    return this.check(({ scope, pancake }) => then(pancake.objectIds(scope), (ids) => {
      const keys: string[] = []
      for (const [group, id] of ids) {
        if (id !== undefined) keys.push(`${this.#objectKeyPrefix(group)}:${id}`)
      }
      return this.readGlobal(pancake, keys, (globally, overrides) => {
        for (let i = 0; i < keys.length; i++) {
          const override = pancake.decode(keys[i] as string, overrides[i] ?? null, decodeBoolean)
          if (override !== undefined) return override
        }
        return globally
      })
    }))
  }

  /** The global value, ignoring every group override. */
  async isActiveGlobally (): Promise<boolean> {
    return await this.readGlobal(this.context().pancake, [], (globally) => globally)
  }

  /**
   * The override for one object of a group: `true`, `false`, or `null` when
   * it has none. Without `objectId`, the current request's object.
   */
  async isActiveGroup (group: string, objectId?: ObjectIdInput): Promise<boolean | null> {
    const { pancake, key } = await this.#object(group, objectId)
    return await pancake.read([], [key], ([raw]) => pancake.decode(key, raw ?? null, decodeBoolean) ?? null)
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
    await pancake.store.clearTracked(trackingKey(this.instance, group, this.name))
  }

  // A check builds one override key per group: keep each group's prefix
  // (`FLAG:EXT:k:GROUP:NAME`) rather than upper-casing the name every time.
  readonly #prefixes = new Map<string, string>()

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

  isActive (): Promise<boolean> {
    return this.check(({ scope, pancake }) => {
      const outcomes = pancake.sampleOutcomes(scope)
      const known = outcomes[this.name]
      if (known !== undefined) return known
      return then(this.#read(pancake), (value) => {
        // r <= value, compared as r / 100 <= value / 100: scaling the draw up
        // rounds (0.07 * 100 is 7.000000000000001), so a draw equal to the
        // value would not count as active.
        const active = pancake.random() <= value / 100
        outcomes[this.name] = active
        return active
      })
    })
  }

  /** The stored percentage, storing the default first if there is none. */
  async get (): Promise<number> {
    return await this.#read(this.context().pancake)
  }

  /** Stores a new percentage; rejects anything outside [0, 100]. */
  async set (value: number): Promise<void> {
    if (!isSampleValue(value)) throw new PancakeInvalidValueError(this.name)
    const { scope, pancake } = this.context()
    scope.forget(this.key)
    await pancake.store.set(this.key, encodeSample(value))
  }

  #read (pancake: PancakeInstance): Maybe<number> {
    return pancake.read([[this.key, this.storedDefault]], [], ([raw]) => pancake.decode(this.key, raw ?? null, decodeSample) ?? this.default)
  }
}

export type AnyDefinition = Switch | Flag | Sample
