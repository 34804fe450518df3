// The decision itself: a pure function of a definition, the raw values the
// store holds for it, and the object ids of the context. Reading those
// values (from the request, the near-cache or the store) is the engine's
// job; deciding is this module's alone, whoever asks.
import { bucket, inBucket } from './bucket.js'
import { RAW_FALSE, RAW_TRUE, decodeBoolean, decodePercentage } from './keys.js'
import type { ObjectIds } from './scope.js'

/** Why a definition answered as it did. */
export type EvaluationReason = 'override' | 'rollout' | 'global' | 'default' | 'sample'

export type DefinitionKindName = 'switch' | 'flag' | 'sample'

export interface Evaluation {
  /** Whether the definition is active for the context. */
  readonly value: boolean
  readonly reason: EvaluationReason
  readonly kind: DefinitionKindName
  /** override, rollout (and a sample drawn by id): the deciding group, and its object id. */
  readonly group?: string
  readonly objectId?: string
  /** rollout (and a sample drawn by id): the object's bucket, 1..100. */
  readonly bucket?: number
  /** rollout: the group's percentage; sample: the stored percentage. */
  readonly percentage?: number
}

/** Object ids by group name; null, undefined, '' and NaN mean "no id in that group". */
export type EvaluationContext = Readonly<Record<string, string | number | null | undefined>>

/** What deciding needs of any definition. */
export interface DecidedDefinition {
  readonly kind: DefinitionKindName
  readonly name: string
  /** The store key of its own value. */
  readonly key: string
  /** The instance it belongs to. */
  readonly instance: string
  /** `[[key, stored default]]`, as a store read takes it. */
  readonly init: ReadonlyArray<readonly [key: string, value: string]>
}

export interface DecidedSwitch extends DecidedDefinition {
  readonly kind: 'switch'
  readonly default: boolean
}

export interface DecidedFlag extends DecidedDefinition {
  readonly kind: 'flag'
  readonly default: boolean
  /** `FLAG:EXT:k:GROUP:NAME`, kept per group. */
  objectPrefix: (group: string) => string
  /** `FLAG:EXT:r:GROUP:NAME` */
  rolloutKey: (group: string) => string
  /** The rollout key of each group, in order; kept for the last list of groups asked for. */
  rolloutKeys: (groups: ReadonlyArray<{ readonly name: string }>) => readonly string[]
  /** The engine's memo of the rollouts it last peeked, and the store's version they are of. */
  rolloutMemo: RolloutMemo | undefined
}

export interface DecidedSample extends DecidedDefinition {
  readonly kind: 'sample'
  readonly default: number
  /** The group whose object id draws the sample, when it is sticky by id. */
  readonly stickyBy: string | undefined
}

export interface RolloutMemo {
  readonly engine: object
  readonly version: number
  readonly values: ReadonlyArray<string | null>
}

export type DecidedToggle = DecidedSwitch | DecidedFlag
/** Any definition, as the engine sees it. */
export type Decided = DecidedSwitch | DecidedFlag | DecidedSample

/** Reports a stored value that cannot be parsed, and what it reads as instead. */
export type Warn = (key: string, raw: string, instead: string) => void

const DEFAULT_APPLIES = 'the default applies'
const NO_ROLLOUT = 'it reads as no rollout'

// The answers from a definition's own value are few: shared, not made per check.
const answer = (kind: 'switch' | 'flag', reason: 'global' | 'default', value: boolean): Evaluation => Object.freeze({ value, reason, kind })
const SWITCH_GLOBAL_TRUE = answer('switch', 'global', true)
const SWITCH_GLOBAL_FALSE = answer('switch', 'global', false)
const SWITCH_DEFAULT_TRUE = answer('switch', 'default', true)
const SWITCH_DEFAULT_FALSE = answer('switch', 'default', false)
const FLAG_GLOBAL_TRUE = answer('flag', 'global', true)
const FLAG_GLOBAL_FALSE = answer('flag', 'global', false)
const FLAG_DEFAULT_TRUE = answer('flag', 'default', true)
const FLAG_DEFAULT_FALSE = answer('flag', 'default', false)

/** A switch, or a flag that nothing more specific decides: its stored value, else its default. */
export function decideOwn (definition: DecidedToggle, raw: string | null | undefined, warn: Warn): Evaluation {
  const flag = definition.kind === 'flag'
  if (raw === RAW_TRUE) return flag ? FLAG_GLOBAL_TRUE : SWITCH_GLOBAL_TRUE
  if (raw === RAW_FALSE) return flag ? FLAG_GLOBAL_FALSE : SWITCH_GLOBAL_FALSE
  if (raw !== null && raw !== undefined) warn(definition.key, raw, DEFAULT_APPLIES)
  if (definition.default) return flag ? FLAG_DEFAULT_TRUE : SWITCH_DEFAULT_TRUE
  return flag ? FLAG_DEFAULT_FALSE : SWITCH_DEFAULT_FALSE
}

/**
 * A flag for the objects in `ids` (every group of the instance, in order,
 * or none). `values` holds the flag's own value, then the override of each
 * object of `ids` that has an id (it may stop after the first that holds a
 * value); `rollouts`, from `rolloutAt` on, the rollout of each group of
 * `ids` (not needed when an override decides):
 *
 * 1. the first group whose object has an override decides (flask-pancake's rule);
 * 2. else the first group with a rollout and an object id decides: active
 *    iff the object's bucket is inside the percentage;
 * 3. else the flag's own value.
 */
export function decideFlag (
  flag: DecidedFlag,
  ids: ObjectIds,
  values: ReadonlyArray<string | null | undefined>,
  rollouts: ReadonlyArray<string | null | undefined>,
  rolloutAt: number,
  warn: Warn
): Evaluation {
  let at = 1
  for (const [group, id] of ids) {
    if (id === undefined) continue
    const raw = values[at++]
    if (raw === null || raw === undefined) continue
    const override = decodeBoolean(raw)
    if (override !== undefined) return { value: override, reason: 'override', kind: 'flag', group, objectId: id }
    warn(`${flag.objectPrefix(group)}:${id}`, raw, DEFAULT_APPLIES)
  }
  for (let i = 0; i < ids.length; i++) {
    const [group, id] = ids[i] as readonly [string, string | undefined]
    const raw = rollouts[rolloutAt + i]
    if (id === undefined || raw === null || raw === undefined) continue
    const percentage = decodePercentage(raw)
    if (percentage === undefined) {
      warn(flag.rolloutKey(group), raw, NO_ROLLOUT)
      continue
    }
    const objectBucket = bucket(flag.name, id)
    return { value: inBucket(objectBucket, percentage), reason: 'rollout', kind: 'flag', group, objectId: id, bucket: objectBucket, percentage }
  }
  return decideOwn(flag, values[0], warn)
}

/** A sample's stored percentage, else its default. */
export function samplePercentage (sample: DecidedSample, raw: string | null | undefined, warn: Warn): number {
  if (raw === null || raw === undefined) return sample.default
  const value = decodePercentage(raw)
  if (value !== undefined) return value
  warn(sample.key, raw, DEFAULT_APPLIES)
  return sample.default
}

/** A sample drawn by an object's id: the same bucketing as a rollout, salted by the sample's name. */
export function drawById (sample: DecidedSample, group: string, id: string, percentage: number): Evaluation {
  const objectBucket = bucket(sample.name, id)
  return { value: inBucket(objectBucket, percentage), reason: 'sample', kind: 'sample', group, objectId: id, bucket: objectBucket, percentage }
}

/**
 * A sample drawn at random: `r` in [0, 100], active iff `r <= percentage`,
 * compared as r / 100 <= percentage / 100: scaling the draw up rounds (0.07 *
 * 100 is 7.000000000000001), so a draw equal to the value would not count.
 */
export function drawAtRandom (random: () => number, percentage: number): Evaluation {
  return { value: random() <= percentage / 100, reason: 'sample', kind: 'sample', percentage }
}

const KNOWN_TRUE: Evaluation = Object.freeze({ value: true, reason: 'sample', kind: 'sample' })
const KNOWN_FALSE: Evaluation = Object.freeze({ value: false, reason: 'sample', kind: 'sample' })

/** A sample outcome the request already holds (its cookie): the percentage is not read for it. */
export function knownOutcome (value: boolean): Evaluation {
  return value ? KNOWN_TRUE : KNOWN_FALSE
}
