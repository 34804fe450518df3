// The same tests on each store: every kind as registration options, an
// app on a fresh store of a kind, and a way to read what the store holds
// that bypasses the library (for Redis, a client of the test's own).
import { MemoryStore } from '../../dist/index.mjs'
import { buildApp } from './app.mjs'

/**
 * Each store as a function that resolves to registration options.
 * @param {import('./redis.mjs').RedisServer} redis the test file's Redis
 */
export function storeKinds (redis) {
  return {
    memory: async () => ({ store: new MemoryStore() }),
    redis: async () => ({ redis: await redis.connected() })
  }
}

const backends = new WeakMap()

/** An app with one pancake instance on a fresh store of the given kind. */
export async function build (storeOptions, extra = {}, setup = () => {}) {
  const backend = await storeOptions()
  const app = await buildApp([{ ...backend, ...extra }], setup)
  backends.set(app, backend)
  return app
}

/** The store options `app` was built on, for another app on the same store. */
export const storeOptionsOf = (app) => backends.get(app)

/** The raw value of a key, as another program would read it. */
export async function raw (app, key) {
  const { redis: client, store } = backends.get(app)
  if (client) return await client.get(key)
  const [value] = await store.read([], [key])
  return value
}

/** The members of a tracking set, sorted. */
export async function members (app, key) {
  const { redis: client, store } = backends.get(app)
  const list = client ? await client.smembers(key) : await store.members(key)
  return list.sort()
}
