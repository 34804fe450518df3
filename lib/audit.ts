import calculateSlot from 'cluster-key-slot'

/** Who made a write, and through which way in. */
export interface WriteOrigin {
  /** A person or program: a user name, a service account, `ci`. */
  actor: string
  /** `api`: code of the app; `route`: the write routes (the console); `cli`: the `pancake` command. */
  source: 'api' | 'route' | 'cli'
}

/** Where an audit entry came from: a {@link WriteOrigin} source, or a change made outside the library. */
export type AuditSource = WriteOrigin['source'] | 'outside'

/**
 * What a write changed: a definition's value, one object's override, every
 * override of a group (`overrides`), or a group's rollout.
 */
export type AuditTarget = 'value' | 'override' | 'overrides' | 'rollout'

/** What an audited write says about itself; the store adds the values before and after. */
export interface AuditFields {
  actor: string
  source: AuditSource
  kind: 'switch' | 'flag' | 'sample'
  name: string
  target: AuditTarget
  group?: string
  objectId?: string
}

/**
 * What a store write appends to the audit trail, in the same atomic step
 * as the write.
 */
export interface AuditRecord {
  /** The instance's audit stream: `PANCAKE:<instance>:audit`. */
  stream: string
  /** The stream is trimmed to about this many entries. */
  maxLength: number
  fields: AuditFields
}

/** One entry of the audit trail, newest first in a history. */
export interface AuditEntry extends AuditFields {
  /** The entry's id in the stream, `<ms>-<n>`: ordered by time. */
  id: string
  /** When the write was made, in ms since the epoch (the store's clock). */
  time: number
  /** The raw value before the write; null when there was none (or it was not a string). */
  before: string | null
  /** The raw value after it; null when it was deleted. */
  after: string | null
  /** `overrides` entries: how many overrides were removed. */
  count?: number
}

/** What a history is asked for. */
export interface HistoryQuery {
  /** At most this many entries, newest first. */
  limit: number
  /** Only those of this definition (its name, compared case-insensitively, as keys do). */
  name?: string
}

/** The audit stream of an instance: a prefix flask-pancake never reads or writes. */
export function auditStream (instance: string): string {
  return `PANCAKE:${instance}:audit`
}

export const DEFAULT_AUDIT_LENGTH = 10_000

const FIELD_NAMES = ['actor', 'source', 'kind', 'name', 'target', 'group', 'objectId', 'before', 'after', 'count'] as const
const SOURCES = new Set(['api', 'route', 'cli', 'outside'])
const KINDS = new Set(['switch', 'flag', 'sample'])
const TARGETS = new Set(['value', 'override', 'overrides', 'rollout'])

/** The fields of a record as a flat list of names and values, as XADD takes them. */
export function flatFields (fields: AuditFields): string[] {
  const flat: string[] = []
  for (const name of FIELD_NAMES) {
    const value = (fields as unknown as Record<string, unknown>)[name]
    if (typeof value === 'string') flat.push(name, value)
  }
  return flat
}

/**
 * An entry from a stream id and its flat list of fields. Entries written by
 * hand that lack what an entry needs are skipped (undefined), never thrown on.
 */
export function parseEntry (id: string, flat: readonly string[]): AuditEntry | undefined {
  const fields = new Map<string, string>()
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string)
  const time = Number(id.slice(0, id.indexOf('-')))
  const source = fields.get('source')
  const kind = fields.get('kind')
  const target = fields.get('target')
  const actor = fields.get('actor')
  const name = fields.get('name')
  if (!Number.isSafeInteger(time) || actor === undefined || name === undefined ||
      source === undefined || !SOURCES.has(source) || kind === undefined || !KINDS.has(kind) ||
      target === undefined || !TARGETS.has(target)) return undefined
  const entry: AuditEntry = {
    id,
    time,
    actor,
    source: source as AuditSource,
    kind: kind as AuditFields['kind'],
    name,
    target: target as AuditTarget,
    before: fields.get('before') ?? null,
    after: fields.get('after') ?? null
  }
  const group = fields.get('group')
  const objectId = fields.get('objectId')
  const count = Number(fields.get('count'))
  if (group !== undefined) entry.group = group
  if (objectId !== undefined) entry.objectId = objectId
  if (fields.has('count') && Number.isSafeInteger(count)) entry.count = count
  return entry
}

/** Whether an entry answers a query's name. */
export function matchesName (entry: AuditEntry, name: string | undefined): boolean {
  return name === undefined || entry.name.toUpperCase() === name.toUpperCase()
}

/** Stream ids compared as the store orders them: by time, then sequence. */
export function compareIds (a: string, b: string): number {
  const [ta = 0, sa = 0] = a.split('-').map(Number)
  const [tb = 0, sb = 0] = b.split('-').map(Number)
  return ta !== tb ? ta - tb : sa - sb
}

let slotTags: string[] | undefined

/**
 * A hash tag whose key lands in the given Cluster hash slot: `{tag}` in a
 * key sends it to that slot. Found once for all 16384 slots, by trying
 * short strings until every slot has one.
 */
export function slotTag (slot: number): string {
  if (slotTags === undefined) {
    const tags = new Array<string>(16384)
    let found = 0
    for (let n = 0; found < 16384; n++) {
      const tag = n.toString(36)
      const at = calculateSlot(tag)
      if (tags[at] === undefined) {
        tags[at] = tag
        found++
      }
    }
    slotTags = tags
  }
  return slotTags[slot] as string
}

/** On a cluster, the shard of an instance's audit stream that lives in the slot of `key`. */
export function auditShard (stream: string, key: string): string {
  return `${stream}:{${slotTag(calculateSlot(key))}}`
}

/** On a cluster, the set naming every shard of an instance's audit stream. */
export function auditShards (stream: string): string {
  return `${stream}:shards`
}

/** What an entry changed, in words: `flag BETA, user 42: 0 → 1`. */
export function describeEntry (entry: AuditEntry): string {
  const what = [`${entry.kind} ${entry.name}`]
  if (entry.group !== undefined) what.push(entry.objectId === undefined ? `every ${entry.group}` : `${entry.group} ${entry.objectId}`)
  if (entry.target === 'rollout') what.push('rollout')
  const change = entry.target === 'overrides'
    ? `${entry.count ?? 0} override${entry.count === 1 ? '' : 's'} cleared`
    : `${entry.before ?? '(none)'} → ${entry.after ?? '(none)'}`
  return `${what.join(', ')}: ${change}`
}
