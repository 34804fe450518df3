import type { AuditEntry, AuditRecord, HistoryQuery } from '../audit.js'

/**
 * What the library needs from a storage backend. Every method is one round
 * trip to the backend, and every multi-key write is atomic: a reader never
 * sees an object key without its tracking-set entry or the other way round.
 *
 * Values are the raw strings of flask-pancake's encoding (`"1"`, `"0"`,
 * `"42"`); interpreting them is the caller's job, so a value written by hand
 * can never make a store method throw.
 */
export interface PancakeStore {
  /** Short name for logs: `memory`, `redis`, or a custom store's own. */
  readonly kind: string
  /**
   * Stores each `init` value whose key is absent (SETNX semantics), then
   * returns the values of the `init` keys followed by those of `keys`, in
   * order; `null` for an absent key. A key that holds a value of another
   * type (a list, a hash) reads as {@link WRONG_TYPE}.
   */
  read: (init: ReadonlyArray<readonly [key: string, value: string]>, keys: readonly string[]) => Promise<Array<string | null>>
  /**
   * What {@link read} would answer, when the store can answer from memory
   * without waiting; `undefined` when it cannot. Checks use it to answer
   * synchronously on the hot path.
   */
  peek?: (init: ReadonlyArray<readonly [key: string, value: string]>, keys: readonly string[]) => Array<string | null> | undefined
  /**
   * What {@link peek} would answer for the one key `${prefix}:${id}`, found
   * without building that key: a flag's check asks for one per-object key
   * per group, and the prefix of each stays the same from request to
   * request. `now` is `Date.now()`, read once by the caller.
   */
  peekObject?: (prefix: string, id: string, now: number) => string | null | undefined
  /**
   * What {@link peek} would answer for `keys`, when each is one the store
   * holds in memory without expiry (a flag's rollouts): answers that stay
   * right until {@link heldVersion} moves. `undefined` when it cannot.
   */
  peekHeld?: (keys: readonly string[]) => Array<string | null> | undefined
  /** A number that changes whenever a value {@link peekHeld} gives may have changed. */
  heldVersion?: () => number
  // Every write takes an optional audit record as its last parameter: the
  // store appends it to the audit trail, with the value before and after,
  // in the same atomic step as the write (see docs/console.md for a
  // cluster). Stores that keep no trail ignore it.
  /** SET */
  set: (key: string, value: string, audit?: AuditRecord) => Promise<void>
  /** DEL */
  delete: (key: string, audit?: AuditRecord) => Promise<void>
  /** SET `key` and add `key` to the set at `trackingKey`, atomically. */
  setTracked: (key: string, trackingKey: string, value: string, audit?: AuditRecord) => Promise<void>
  /** DEL `key` and remove it from the set at `trackingKey`, atomically. */
  deleteTracked: (key: string, trackingKey: string, audit?: AuditRecord) => Promise<void>
  /** DEL every key in the set at `trackingKey`, and the set, atomically. */
  clearTracked: (trackingKey: string, audit?: AuditRecord) => Promise<void>
  /**
   * Appends an entry for a change made without the library, seen by a
   * near-cache: `key` the key found changed. Every process that sees the
   * same change asks; the first within a few seconds appends it.
   */
  appendAudit?: (audit: AuditRecord, key: string, after: string | null) => Promise<void>
  /** The newest entries of an audit stream, newest first. */
  history?: (stream: string, query: HistoryQuery) => Promise<AuditEntry[]>
  /**
   * One page of the members of the set at `trackingKey` (SSCAN): the
   * members, and the cursor of the next page, `'0'` after the last.
   */
  scanTracked?: (trackingKey: string, cursor: string, count: number) => Promise<[cursor: string, members: string[]]>
  /** Releases what the store itself created; never a client it was given. */
  close?: () => Promise<void>
  /**
   * Whether the backend can take a command now. When it cannot, reads are
   * answered from memory and writes fail at once instead of waiting for a
   * reconnect. Absent means always.
   */
  available?: () => boolean
  /** Resolves true once the backend is available, false after `ms`. */
  whenAvailable?: (ms: number) => Promise<boolean>
  /** This store's id in announced changes, to skip its own. */
  readonly origin?: string | undefined
  /**
   * Follows the writes of every process sharing the backend, for near
   * caches. Resolves once listening, to a function that stops it.
   */
  subscribe?: (listener: ChangeListener) => Promise<() => Promise<void>>
  /**
   * Resolves once every announcement published before the call has reached
   * the listeners of {@link subscribe}: what a read found changed without
   * its announcement having arrived yet is then known to have had none.
   */
  sync?: () => Promise<void>
  /**
   * Calls `listener` when the connection to the backend is lost (false) and
   * when it is back (true). Returns a function that stops it.
   */
  watchAvailability?: (listener: (available: boolean) => void) => () => void
  /**
   * Reports what the store learns about its keys (its own writes, writes
   * announced by other processes, writes detected without an announcement)
   * and its health. Returns a function that stops it.
   */
  watch?: (watcher: StoreWatcher) => () => void
}

/**
 * Where a change came from: `local`, a write of this process; `instance`,
 * another process of this library (announced); `outside`, a write detected
 * without an announcement (flask-pancake, redis-cli), or one whose
 * announcement was missed.
 */
export type PancakeChangeSource = 'local' | 'instance' | 'outside'

/** What a store learnt about one of its keys. */
export interface StoreChange {
  /** The key written; with `cleared`, a tracking key whose every object key was deleted. */
  readonly key: string
  /** The new raw value; null when deleted; undefined when not known. */
  readonly value: string | null | undefined
  readonly source: PancakeChangeSource
  readonly cleared?: boolean
}

export interface StoreWatcher {
  change?: (change: StoreChange) => void
  /** The store stopped answering: checks answer from memory, writes fail. */
  down?: (err: Error) => void
  /** The store answers again. */
  up?: () => void
  /**
   * Whether changes to `key` are wanted at all: a store that has to do
   * work to detect a change (a read, a round trip) skips unwanted keys.
   * Absent means every key.
   */
  wants?: (key: string) => boolean
}

/** One write, as announced to every process sharing the store. */
export interface Change {
  /** The writer's {@link PancakeStore.origin}. */
  origin: string
  /** The writer's sequence number, one more for each of its writes. */
  seq: number
  /** Keys given a new value. */
  set: Record<string, string>
  /** Keys deleted. */
  del: string[]
}

export interface ChangeListener {
  change: (change: Change) => void
  /** Changes may have been missed: reload what is cached. */
  resync: () => void
  /**
   * A key was written by someone, perhaps a program that announces nothing
   * (Redis keyspace notifications): its cached value is no longer to be
   * trusted.
   */
  touched?: (key: string) => void
  /**
   * A change this store announced itself, heard back: it arrives in order
   * with the others, so it marks what was written by the library.
   */
  echo?: (change: Change) => void
}

/** What {@link PancakeStore.read} returns for a key of a non-string type. */
export const WRONG_TYPE = '\u0000WRONGTYPE'
