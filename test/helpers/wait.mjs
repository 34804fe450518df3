// Waiting for a change that arrives through Redis in its own time (a
// published message, a periodic re-read), where no event marks its arrival.
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'

/** Resolves once `check()` returns `expected`, polling on the event loop; fails after `within` ms. */
export async function eventually (check, expected, within = 5000) {
  const deadline = Date.now() + within
  let last
  while (Date.now() < deadline) {
    last = await check()
    if (last === expected) return
    await sleep(5)
  }
  assert.fail(`expected ${expected}, still ${last} after ${within} ms`)
}

/**
 * Resolves once `n` apps listen to the change announcements of `redis`
 * (they subscribe in the background, after ready).
 */
export async function subscribers (redis, n) {
  const client = redis.client()
  const count = async () => Number((await client.pubsub('NUMSUB', 'fastify-pancake:changes'))[1])
  await eventually(async () => await count() >= n, true)
}
