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
