// One app instance of the propagation benchmark, as a process of its own:
//
//   node test/bench/node.mjs <instance|writer> <redis-url> <staleness>
//
// An instance serves the switch on GET / and watches its own answer every
// millisecond; when the answer changes it reports { value, at } to the parent,
// `at` on the machine's monotonic clock, so the report says when the change
// became visible, however late the message itself arrives.
// A writer flips the switch through the library when the parent asks, and
// reports when it started and when the write returned.
import { setInterval } from 'node:timers'
import cookie from '@fastify/cookie'
import Fastify from 'fastify'
import pancake, { Switch } from '../../dist/index.mjs'
import { nowMs } from './common.mjs'

export const SWITCH_NAME = 'BENCH_PROPAGATION'
const S = new Switch(SWITCH_NAME, false)

const [role, url, staleness] = process.argv.slice(2)
const app = Fastify({ logger: false })
await app.register(cookie, { secret: 'a-benchmark-secret-of-at-least-32-characters' })
await app.register(pancake, { redis: url, staleness: Number(staleness) })
app.get('/', async () => ({ [SWITCH_NAME]: await S.isActive() }))
await app.listen({ port: 0, host: '127.0.0.1' })
const check = () => app.pancakes.run(() => S.isActive())

if (role === 'instance') {
  let last = await check()
  // A check answered from memory takes microseconds, so watching every
  // millisecond costs little and adds at most a millisecond to what is
  // measured.
  setInterval(async () => {
    const value = await check()
    if (value !== last) {
      last = value
      process.send({ value, at: nowMs() })
    }
  }, 1)
  process.send({ ready: true, value: last, port: app.server.address().port })
} else {
  process.on('message', async ({ value }) => {
    const start = nowMs()
    await app.pancakes.run(() => value ? S.enable() : S.disable())
    process.send({ start, written: nowMs() })
  })
  process.send({ ready: true, value: await check() })
}
process.once('disconnect', () => { app.close().then(() => process.exit(0)) })
