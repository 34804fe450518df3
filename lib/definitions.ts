import type { AuditRecord, AuditTarget } from './audit.js'
import { storage, type Engine, type RequestScope } from './engine.js'
import {
  PancakeCannotDeriveError,
  PancakeInvalidDefaultError,
  PancakeInvalidNameError,
  PancakeInvalidOptionError,
  PancakeInvalidRolloutError,
  PancakeInvalidValueError,
  PancakeNoContextError
} from './errors.js'
import type { Decided, DefinitionKindName, Evaluation, EvaluationContext, RolloutMemo } from './evaluation.js'
import { normalizeObjectId } from './groups.js'
import {
  decodeBoolean,
  decodePercentage,
  definitionKey,
  encodeBoolean,
  encodePercentage,
  encodeSample,
  isSampleValue,
  objectKeyPrefix,
  rolloutKey,
  trackingKey,
  type DefinitionKind
} from './keys.js'
import type { Maybe } from './maybe.js'
import { DEFAULT_INSTANCE, DefinitionRegistry } from './registry.js'
import type { PancakeStore } from './store/store.js'

/**
 * The third argument of a switch or flag: its instance's name, or options.
 * `new Switch('DARK_MODE', false, { description: 'Dark theme for everyone' })`.
 */
export interface DefinitionOptions {
  /** The pancake instance it belongs to (default `pancake`). */
  instance?: string
  /** What it is for, in words, shown in the console. */
  description?: string
}

/** An object id given explicitly rather than derived from the request. */
export type ObjectIdInput = string | number

interface Context {
  scope: RequestScope
  pancake: Engine
}

const valueOf = (evaluation: Evaluation): boolean => evaluation.value

/** Every definition of this process, by instance name. */
export const definitions = new DefinitionRegistry<Switch, Flag, Sample>()

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
  /** @internal `[[key, storedDefault]]`, as a store read takes it. */
  readonly init: ReadonlyArray<readonly [key: string, value: string]>
  /** What it is for, in words, when it was given one. */
  readonly description: string | undefined
  /** `switch`, `flag` or `sample`. */
  abstract readonly kind: DefinitionKindName
  readonly #kind: DefinitionKind

  protected constructor (kind: DefinitionKind, name: string, defaultValue: T, instanceOrOptions: string | DefinitionOptions, storedDefault: string) {
    const options = typeof instanceOrOptions === 'object' && instanceOrOptions !== null ? instanceOrOptions : { instance: instanceOrOptions }
    const instance = options.instance ?? DEFAULT_INSTANCE
    const { description } = options
    if (description !== undefined && typeof description !== 'string') {
      throw new PancakeInvalidOptionError('description', `of ${kind.toLowerCase()} ${String(name)} must be a string, got ${JSON.stringify(description) ?? String(description)}`)
    }
    this.description = description
    for (const [what, value] of [[kind.toLowerCase(), name], ['pancake instance', instance]] as const) {
      // ':' separates the parts of a key: Flag('B:1') for user '5' would
      // share FLAG:EXT:k:user:B:1:5 with Flag('B') for user '1:5'.
      if (typeof value !== 'string' || value === '' || value.includes(':')) {
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
    await pancake.store.delete(this.key, this.audit(scope, pancake))
  }

  /** What a write of this definition made in `scope` appends to the audit trail. */
  protected audit (scope: RequestScope, pancake: Engine, what: { target?: AuditTarget, group?: string, objectId?: string } = {}): AuditRecord {
    return pancake.auditRecord(scope, { kind: this.kind, name: this.name, target: what.target ?? 'value', ...what })
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
    let answer: Maybe<Evaluation>
    try {
      answer = scope.pancakes.get(this.instance).decide(scope, this.decided)
    } catch (err) {
      return Promise.reject(err)
    }
    // The engine's pending answers are native promises; a settled one is an
    // evaluation, told apart without looking for a \`then\` on it.
    return scope.settle(this.key, answer instanceof Promise ? answer.then(valueOf) : answer.value)
  }

  /**
   * Whether the definition is active, and why. With `context` (object ids
   * by group name), for exactly those objects, anywhere; without, for the
   * current request (as {@link isActive}), or for no object outside one.
   * Needs the app's scope (a request, or `app.pancakes.run()`); elsewhere
   * use `app.pancakes.evaluate()`.
   */
  async evaluate (context?: EvaluationContext): Promise<Evaluation> {
    const { pancake } = this.context()
    return await pancake.evaluateFor(this.decided, context)
  }

  /** This definition as the engine takes it. */
  protected abstract get decided (): Decided

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
  protected constructor (kind: 'Switch' | 'Flag', name: string, defaultValue: boolean, instance: string | DefinitionOptions) {
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

  async #write (value: boolean): Promise<void> {
    const { scope, pancake } = this.context()
    scope.forget(this.key)
    await pancake.store.set(this.key, encodeBoolean(value), this.audit(scope, pancake))
  }
}

/** Globally on or off. */
export class Switch extends Toggle {
  readonly kind = 'switch'

  /**
   * @param name the switch's name; its key is `SWITCH:<instance>:<NAME>`.
   * @param defaultValue the value stored on first read.
   * @param instance the pancake instance it belongs to (default `pancake`),
   *   or options: `{ instance, description }`.
   */
  constructor (name: string, defaultValue: boolean, instance: string | DefinitionOptions = DEFAULT_INSTANCE) {
    super('Switch', name, defaultValue, instance)
    definitions.of(this.instance).switches.set(name, this)
  }

  protected get decided (): Decided {
    return this
  }
}

/**
 * On or off globally, overridable per object of each group (a user, a
 * company, "superusers"), and rolled out per group to a percentage of its
 * objects. A check walks the instance's groups in order: the first group
 * whose object has an override decides; else the first group with a
 * rollout and an object id (active iff the object's bucket is inside the
 * percentage); else the global value.
 */
export class Flag extends Toggle {
  readonly kind = 'flag'

  constructor (name: string, defaultValue: boolean, instance: string | DefinitionOptions = DEFAULT_INSTANCE) {
    super('Flag', name, defaultValue, instance)
    definitions.of(this.instance).flags.set(name, this)
  }

  protected get decided (): Decided {
    return this
  }

  /** The global value, ignoring every group override and rollout. */
  async isActiveGlobally (): Promise<boolean> {
    const { scope, pancake } = this.context()
    const [raw] = await pancake.read(scope, this, [])
    return pancake.decode(this.key, raw ?? null, decodeBoolean) ?? this.default
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
    await this.#changeObject(group, objectId, async (store, key, tracking, audit) => await store.setTracked(key, tracking, encodeBoolean(true), audit))
  }

  async disableGroup (group: string, objectId?: ObjectIdInput): Promise<void> {
    await this.#changeObject(group, objectId, async (store, key, tracking, audit) => await store.setTracked(key, tracking, encodeBoolean(false), audit))
  }

  /** Removes one object's override. */
  async clearGroup (group: string, objectId?: ObjectIdInput): Promise<void> {
    await this.#changeObject(group, objectId, async (store, key, tracking, audit) => await store.deleteTracked(key, tracking, audit))
  }

  /** Removes the override of every object of a group. */
  async clearAllGroup (group: string): Promise<void> {
    const { scope, pancake } = this.context()
    pancake.group(group)
    scope.forget(this.key)
    await pancake.store.clearTracked(trackingKey(this.instance, group, this.name), this.audit(scope, pancake, { target: 'overrides', group }))
  }

  /**
   * Rolls the flag out to `percentage` % of a group's objects (0 to 100,
   * decimals allowed): the objects whose bucket (1 to 100, from the flag's
   * name and the object id) is at most the percentage. Widening it keeps
   * every object it covered. Overrides still win over it.
   */
  async setRollout (group: string, percentage: number): Promise<void> {
    if (!isSampleValue(percentage)) throw new PancakeInvalidRolloutError(this.name, String(group))
    const { scope, pancake } = this.context()
    pancake.group(group)
    scope.forget(this.key)
    await pancake.store.set(this.rolloutKey(group), encodePercentage(percentage), this.audit(scope, pancake, { target: 'rollout', group }))
  }

  /** Removes a group's rollout: its objects get the global value again (unless overridden). */
  async clearRollout (group: string): Promise<void> {
    const { scope, pancake } = this.context()
    pancake.group(group)
    scope.forget(this.key)
    await pancake.store.delete(this.rolloutKey(group), this.audit(scope, pancake, { target: 'rollout', group }))
  }

  /** The rollout percentage of each group that has one, by group name. */
  async rollouts (): Promise<Record<string, number>> {
    const { scope, pancake } = this.context()
    const groups = pancake.groups
    const values = await pancake.read(scope, undefined, this.rolloutKeys(groups))
    const rollouts: Record<string, number> = {}
    groups.forEach(({ name }, i) => {
      const percentage = pancake.decode(this.rolloutKey(name), values[i] ?? null, decodePercentage, 'it reads as no rollout')
      if (percentage !== undefined) rollouts[name] = percentage
    })
    return rollouts
  }

  // A check builds one override key per group: keep each group's prefix
  // (`FLAG:EXT:k:GROUP:NAME`) rather than upper-casing the name every time;
  // and the rollout keys (`FLAG:EXT:r:GROUP:NAME`) of the groups of the
  // instance last asked for.
  readonly #prefixes = new Map<string, string>()
  /** @internal Kept by the engine: the rollouts it last peeked from memory. */
  rolloutMemo: RolloutMemo | undefined
  #rollouts: { groups: ReadonlyArray<{ readonly name: string }>, keys: readonly string[] } | undefined

  /** @internal `FLAG:EXT:k:GROUP:NAME` */
  objectPrefix (group: string): string {
    let prefix = this.#prefixes.get(group)
    if (prefix === undefined) {
      prefix = objectKeyPrefix(this.instance, group, this.name)
      this.#prefixes.set(group, prefix)
    }
    return prefix
  }

  /** `FLAG:EXT:r:GROUP:NAME`: where a group's rollout is stored. */
  rolloutKey (group: string): string {
    return rolloutKey(this.instance, group, this.name)
  }

  /** @internal The rollout key of each group, in order. */
  rolloutKeys (groups: ReadonlyArray<{ readonly name: string }>): readonly string[] {
    const known = this.#rollouts
    if (known?.groups === groups) return known.keys
    const keys = groups.map(({ name }) => this.rolloutKey(name))
    this.#rollouts = { groups, keys }
    return keys
  }

  async #changeObject (group: string, objectId: ObjectIdInput | undefined, change: (store: PancakeStore, key: string, tracking: string, audit: AuditRecord) => Promise<void>): Promise<void> {
    const { scope, pancake, key, tracking, id } = await this.#object(group, objectId)
    scope.forget(this.key)
    await change(pancake.store, key, tracking, this.audit(scope, pancake, { target: 'override', group, objectId: id }))
  }

  async #object (group: string, objectId: ObjectIdInput | undefined): Promise<Context & { key: string, tracking: string, id: string }> {
    const context = this.context()
    const { scope, pancake } = context
    pancake.group(group)
    const id = objectId === undefined ? await pancake.objectId(scope, group) : normalizeObjectId(objectId)
    if (id === undefined) throw new PancakeCannotDeriveError(group)
    return {
      ...context,
      id,
      key: `${this.objectPrefix(group)}:${id}`,
      tracking: trackingKey(this.instance, group, this.name)
    }
  }
}

/** How a sample is drawn. */
export interface SampleOptions extends DefinitionOptions {
  /**
   * Draw by the object id of this group rather than at random: the same
   * object always gets the same outcome (the bucketing of rollouts, salted
   * by the sample's name), with or without a cookie. A request without an
   * id in that group draws at random and keeps the outcome in the cookie.
   */
  stickyBy?: string
}

/**
 * Active for a percentage of requests. The first check in a request draws
 * `r` in [0, 100]; the sample is active iff `r <= value`. The outcome holds
 * for the rest of the request and is kept in a signed cookie, so the same
 * browser gets the same outcome next time. With `stickyBy`, an object id
 * of that group draws instead, the same way every time.
 */
export class Sample extends Definition<number> {
  readonly kind = 'sample'
  /** The group whose object id draws the sample; undefined: drawn at random, sticky by cookie. */
  readonly stickyBy: string | undefined

  /**
   * @param name the sample's name; its key is `SAMPLE:<instance>:<NAME>`.
   * @param defaultValue the percentage stored on first read, in [0, 100].
   * @param options the instance it belongs to (a string, as in
   *   flask-pancake), or {@link SampleOptions}.
   */
  constructor (name: string, defaultValue: number, options: string | SampleOptions = DEFAULT_INSTANCE) {
    const settings = typeof options === 'string' ? { instance: options } : sampleOptions(options)
    const { instance = DEFAULT_INSTANCE, stickyBy } = settings
    if (!isSampleValue(defaultValue)) {
      throw new PancakeInvalidDefaultError('sample', String(name), 'in the range [0, 100]')
    }
    super('Sample', name, defaultValue, settings, encodeSample(defaultValue))
    this.stickyBy = stickyBy
    definitions.of(instance).samples.set(name, this)
  }

  protected get decided (): Decided {
    return this
  }

  /** The stored percentage, storing the default first if there is none. */
  async get (): Promise<number> {
    const { scope, pancake } = this.context()
    return await pancake.percentage(scope, this)
  }

  /** Stores a new percentage; rejects anything outside [0, 100]. */
  async set (value: number): Promise<void> {
    if (!isSampleValue(value)) throw new PancakeInvalidValueError(this.name)
    const { scope, pancake } = this.context()
    scope.forget(this.key)
    await pancake.store.set(this.key, encodeSample(value), this.audit(scope, pancake))
  }
}

function sampleOptions (options: SampleOptions): SampleOptions {
  if (options === null || typeof options !== 'object') {
    throw new PancakeInvalidOptionError('Sample options', `must be an instance name or an object, got ${String(options)}`)
  }
  const { instance, stickyBy, description } = options
  if (stickyBy !== undefined && (typeof stickyBy !== 'string' || stickyBy === '' || stickyBy.includes(':'))) {
    throw new PancakeInvalidOptionError('stickyBy', `must name a group (a non-empty string without ":"), got ${JSON.stringify(stickyBy) ?? String(stickyBy)}`)
  }
  return { instance, stickyBy, description }
}

export type AnyDefinition = Switch | Flag | Sample
