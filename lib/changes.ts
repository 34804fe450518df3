import type { AuditFields, AuditRecord } from './audit.js'
import type { PancakeInstance } from './instance.js'
import type { Pancakes } from './pancakes.js'
import { parseKey } from './keys.js'
import { WRONG_TYPE, type PancakeChangeSource, type StoreChange } from './store/store.js'

export type { PancakeChangeSource }

/** One change of an instance's state, as `app.pancakes.on('change')` reports it. */
export interface PancakeChange {
  /** The pancake instance's name. */
  readonly instance: string
  readonly kind: 'switch' | 'flag' | 'sample'
  /** The definition's name as defined when this app defines it, else as the key spells it. */
  readonly name: string
  /** Flag overrides and rollouts: the group. */
  readonly group?: string
  /** Overrides: the object's id. */
  readonly objectId?: string
  /**
   * `value`: the definition's own value; `override`: one object's override;
   * `rollout`: a group's rollout percentage; `overrides`: every override of
   * a group cleared at once.
   */
  readonly target: 'value' | 'override' | 'rollout' | 'overrides'
  /** The new raw value (`"1"`, `"0"`, `"42"`); null when deleted; undefined when not known. */
  readonly value?: string | null
  readonly source: PancakeChangeSource
}

/** Whether an instance's store answers, as `app.pancakes.on('health')` reports it. */
export interface PancakeHealth {
  readonly instance: string
  /** False from the store's first failure (a lost connection, an error, a timeout) until it answers again. */
  readonly available: boolean
  /** Why it is taken for down. */
  readonly error?: Error
}

/** Whether `key` can be a key of one of `instance`'s definitions or overrides (not a tracking set). */
export function isInstanceKey (instance: string, key: string): boolean {
  return key.startsWith(`SWITCH:${instance}:`) || key.startsWith(`SAMPLE:${instance}:`) ||
    (key.startsWith(`FLAG:${instance}:`) && !key.startsWith(`FLAG:${instance}:t:`))
}

/**
 * The change of `instance`'s state that a store change is, if it is one:
 * keys of other instances, and tracking sets written rather than cleared,
 * are none.
 */
export function describeChange (instance: PancakeInstance, change: StoreChange): PancakeChange | undefined {
  const flags = new Map<string, string>()
  for (const name of instance.flags.keys()) flags.set(name.toUpperCase(), name)
  const meaning = parseKey(instance.name, change.key, instance.groupIds, flags.keys())
  if (meaning === undefined || (meaning.target === 'overrides') !== (change.cleared === true)) return undefined
  let name: string | undefined
  if (meaning.kind === 'flag') name = flags.get(meaning.name)
  else {
    for (const defined of (meaning.kind === 'switch' ? instance.switches : instance.samples).keys()) {
      if (defined.toUpperCase() === meaning.name) name = defined
    }
  }
  const described: { -readonly [K in keyof PancakeChange]: PancakeChange[K] } = {
    instance: instance.name,
    kind: meaning.kind,
    name: name ?? meaning.name,
    target: meaning.target,
    value: change.value === WRONG_TYPE ? undefined : change.value,
    source: change.source
  }
  if (meaning.group !== undefined) described.group = meaning.group
  if (meaning.objectId !== undefined) described.objectId = meaning.objectId
  return described
}

/**
 * Reports what the store of `instance` learns to the listeners of
 * `pancakes`. Returns a function that stops it.
 */
export function followChanges (instance: PancakeInstance, pancakes: Pancakes): () => void {
  const { name, log } = instance
  return instance.store.watch?.({
    wants: (key) => pancakes.listenerCount('change') > 0 && isInstanceKey(name, key),
    change: (change) => {
      if (pancakes.listenerCount('change') === 0) return
      const described = describeChange(instance, change)
      if (described !== undefined) pancakes.emitChange(described, log)
    },
    down: (error) => { pancakes.emitHealth({ instance: name, available: false, error }, log) },
    up: () => { pancakes.emitHealth({ instance: name, available: true }, log) }
  }) ?? (() => {})
}

/**
 * Records the changes made without the library that the store of
 * `instance` detects (flask-pancake, redis-cli) in the audit trail, as made
 * by `outside`. The value before is not known. Returns a function that
 * stops it.
 */
export function auditOutside (instance: PancakeInstance): () => void {
  const { name, log, store } = instance
  if (store.appendAudit === undefined) return () => {}
  return store.watch?.({
    wants: (key) => isInstanceKey(name, key),
    change: (change) => {
      if (change.source !== 'outside') return
      const described = describeChange(instance, change)
      if (described === undefined) return
      const { kind, target, group, objectId } = described
      const fields: AuditFields = { actor: 'outside', source: 'outside', kind, name: described.name, target }
      if (group !== undefined) fields.group = group
      if (objectId !== undefined) fields.objectId = objectId
      const record: AuditRecord = { stream: instance.auditStream, maxLength: instance.auditLength, fields }
      store.appendAudit?.(record, change.key, described.value ?? null).catch((err: unknown) => {
        log.warn({ err, key: change.key }, 'fastify-pancake: a change made outside the library could not be recorded in the audit trail')
      })
    }
  }) ?? (() => {})
}
