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
