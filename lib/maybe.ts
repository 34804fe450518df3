// A check answered from memory need not wait for a promise to settle at
// each step: on the hot path, values stay plain, and a promise appears only
// where I/O (or an async group function) does.

/** A value now, or later. */
export type Maybe<T> = T | Promise<T>

export function isPromise<T> (value: Maybe<T>): value is Promise<T> {
  // typeof first: the answers on the hot path are booleans and arrays.
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
}
