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
  /** SET */
  set: (key: string, value: string) => Promise<void>
  /** DEL */
  delete: (key: string) => Promise<void>
  /** SET `key` and add `key` to the set at `trackingKey`, atomically. */
  setTracked: (key: string, trackingKey: string, value: string) => Promise<void>
  /** DEL `key` and remove it from the set at `trackingKey`, atomically. */
  deleteTracked: (key: string, trackingKey: string) => Promise<void>
  /**
   * DEL every key in the set at `trackingKey` that starts with `keyPrefix`,
   * and the set, atomically. Members without that prefix (written there by
   * hand or by another program) are left alone and returned, so that the
   * caller can report them; they are no longer tracked.
   */
  clearTracked: (trackingKey: string, keyPrefix: string) => Promise<readonly string[] | undefined | void>
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
  readonly origin?: string
  /**
   * Follows the writes of every process sharing the backend, for near
   * caches. Resolves once listening, to a function that stops it.
   */
  subscribe?: (listener: ChangeListener) => Promise<() => Promise<void>>
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
  /** Changes may have been missed: reload what is cached (settles once reloaded). */
  resync: () => void | Promise<void>
  /**
   * A key was written by someone, perhaps a program that announces nothing
   * (Redis keyspace notifications): its cached value is no longer to be
   * trusted.
   */
  touched?: (key: string) => void
}

/** What {@link PancakeStore.read} returns for a key of a non-string type. */
export const WRONG_TYPE = '\u0000WRONGTYPE'
