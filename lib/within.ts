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
    timer = setTimeout(() => reject(onTimeout()), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
