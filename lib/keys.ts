// flask-pancake's Redis key layout, byte for byte. A Python service running
// flask-pancake and a Node service running this library share one Redis, so
// these strings are a wire format: change nothing here without a migration.

export type DefinitionKind = 'Switch' | 'Flag' | 'Sample'

/** `SWITCH:EXT:NAME`, `FLAG:EXT:NAME`, `SAMPLE:EXT:NAME` */
export function definitionKey (kind: DefinitionKind, instance: string, name: string): string {
  return `${kind.toUpperCase()}:${instance}:${name.toUpperCase()}`
}

/** `FLAG:EXT:k:GROUP:NAME` — the prefix of every object key of one group. */
export function objectKeyPrefix (instance: string, group: string, name: string): string {
  return `FLAG:${instance}:k:${group}:${name.toUpperCase()}`
}

/** `FLAG:EXT:k:GROUP:NAME:OBJECT_ID` */
export function objectKey (instance: string, group: string, name: string, objectId: string): string {
  return `${objectKeyPrefix(instance, group, name)}:${objectId}`
}

/** `FLAG:EXT:t:GROUP:NAME` — a Redis SET of the group's object keys. */
export function trackingKey (instance: string, group: string, name: string): string {
  return `FLAG:${instance}:t:${group}:${name.toUpperCase()}`
}

/**
 * `FLAG:EXT:r:GROUP:NAME` — the percentage of a group's objects a flag is
 * rolled out to, as a decimal string. flask-pancake never reads this key.
 */
export function rolloutKey (instance: string, group: string, name: string): string {
  return `FLAG:${instance}:r:${group}:${name.toUpperCase()}`
}

// Value encoding shared with flask-pancake.

/**
 * Longer than any value this library or flask-pancake writes (`"1"`, `"0"`,
 * a sample's decimal such as `"33.333333333333336"`), with room to spare
 * for one written by hand. A longer value is unparseable at a glance: it
 * is never scanned, copied or logged whole.
 */
export const MAX_VALUE_LENGTH = 64

export const RAW_TRUE = '1'
export const RAW_FALSE = '0'

export function encodeBoolean (value: boolean): string {
  return value ? RAW_TRUE : RAW_FALSE
}

/** `"1"` → true, `"0"` → false, anything else → undefined (not a value we wrote). */
export function decodeBoolean (raw: string): boolean | undefined {
  if (raw === RAW_TRUE) return true
  if (raw === RAW_FALSE) return false
  return undefined
}

/**
 * Sample values are decimal strings: flask-pancake writes Python's `str()` of
 * an int or a float (`"42"`, `"13.0"`), this library writes JavaScript's
 * (`"42"`, `"13.5"`). Both sides parse both.
 */
export function encodeSample (value: number): string {
  return String(value)
}

// Stored percentages take few distinct values: each is parsed once, not at
// every check that reads it. Cleared when full.
const decoded = new Map<string, number | undefined>()
const MAX_DECODED = 1000

export function decodeSample (raw: string): number | undefined {
  if (raw.length > MAX_VALUE_LENGTH) return undefined
  let value = decoded.get(raw)
  if (value !== undefined || decoded.has(raw)) return value
  if (/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(raw)) {
    const number = Number(raw)
    if (isSampleValue(number)) value = number
  }
  if (decoded.size >= MAX_DECODED) decoded.clear()
  decoded.set(raw, value)
  return value
}

/** A rollout's percentage is stored as a sample's value is. */
export const encodePercentage = encodeSample
export const decodePercentage = decodeSample

export function isSampleValue (value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 100
}

/** What one key of an instance's layout holds. */
export interface KeyMeaning {
  readonly kind: 'switch' | 'flag' | 'sample'
  /** The definition's name as the key spells it (upper-cased). */
  readonly name: string
  /** A definition's value, one object's override, a group's rollout, or a tracking set (`overrides`). */
  readonly target: 'value' | 'override' | 'rollout' | 'overrides'
  readonly group?: string
  readonly objectId?: string
}

/**
 * What `key` holds in the layout of `instance`; undefined when it is no key
 * of that instance. Group names, flag names and object ids may hold colons,
 * so the instance's `groups` and its flags' upper-cased names (`flags`) are
 * tried first, the longest match winning; unknown ones end at a colon.
 */
export function parseKey (instance: string, key: string, groups: Iterable<string>, flags: Iterable<string>): KeyMeaning | undefined {
  for (const kind of ['switch', 'sample'] as const) {
    const prefix = `${kind.toUpperCase()}:${instance}:`
    if (key.startsWith(prefix)) return { kind, name: key.slice(prefix.length), target: 'value' }
  }
  const prefix = `FLAG:${instance}:`
  if (!key.startsWith(prefix)) return undefined
  const rest = key.slice(prefix.length)
  // Names are upper-cased: no flag's own key starts with a lower-case letter.
  const marker = rest.slice(0, 2)
  if (marker !== 'k:' && marker !== 't:' && marker !== 'r:') return { kind: 'flag', name: rest, target: 'value' }
  const [group, named] = splitAfter(rest.slice(2), groups)
  if (named === undefined) return undefined
  if (marker !== 'k:') return { kind: 'flag', name: named, target: marker === 't:' ? 'overrides' : 'rollout', group }
  const [name, objectId] = splitAfter(named, flags)
  return objectId === undefined ? undefined : { kind: 'flag', name, target: 'override', group, objectId }
}

/** `text` split at the colon after the longest of `known` it starts with, else at its first colon. */
function splitAfter (text: string, known: Iterable<string>): [head: string, tail: string | undefined] {
  let head: string | undefined
  for (const candidate of known) {
    if (text.startsWith(`${candidate}:`) && (head === undefined || candidate.length > head.length)) head = candidate
  }
  if (head === undefined) {
    const at = text.indexOf(':')
    if (at < 0) return [text, undefined]
    head = text.slice(0, at)
  }
  return [head, text.slice(head.length + 1)]
}
