/**
 * Settles like `operation`, or rejects with `onTimeout()` once `ms` have
 * passed. The operation goes on; a failure of it after the timeout is
 * ignored rather than left unhandled.
 */
export async function within<T> (operation: PromiseLike<T>, ms: number, onTimeout: () => Error): Promise<T> {
  const promise = Promise.resolve(operation)
  promise.catch(() => {})
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    // Timers run before I/O in each turn of the event loop: after the
    // process was held up (a long GC, a busy machine), the timer would fire
    // ahead of an answer that is already waiting on the socket, and a store
    // that answered in time would be taken for down. Waiting for the I/O of
    // this turn first lets that answer win; a store that did not answer
    // still fails after `ms`, one turn later.
    timer = setTimeout(() => setImmediate(() => reject(onTimeout())), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
