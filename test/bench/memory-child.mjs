// One run of the memory benchmark, in a process of its own so that its heap
// holds nothing but one app:
//
//   node --expose-gc test/bench/memory-child.mjs <redis-url> <cache.size> <users>
//
// Checks one flag for `users` distinct users (user i is `u${20 i + 1}`, so
// half of them have an override stored and half do not) and reports the
// heap used before and after, each after a full garbage collection.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import cookie from '@fastify/cookie'
import Fastify from 'fastify'
import pancake, { Flag } from '../../dist/index.mjs'

export const FLAG_NAME = 'BENCH_MEMORY'
const F = new Flag(FLAG_NAME, false)
const IN_FLIGHT = 64

const [url, size, users] = process.argv.slice(2).map((arg, i) => i === 0 ? arg : Number(arg))
// Warnings (the store not answering in time) are counted: while the store
// is taken for down, uncached users get the flag's default.
let warnings = 0
const app = Fastify({ logger: { level: 'warn', stream: { write: () => { warnings++ } } } })
await app.register(cookie, { secret: 'a-benchmark-secret-of-at-least-32-characters' })
await app.register(pancake, {
  redis: url,
  cache: { size },
  groupFuncs: { user: (request) => request.headers['x-user'] }
})
app.get('/', async () => ({ on: await F.isActive() }))
await app.ready()

const heap = () => {
  globalThis.gc()
  globalThis.gc()
  const { heapUsed, rss } = process.memoryUsage()
  return { heapUsed, rss }
}
const before = heap()
// The longest the event loop was held up: a read answered in time can still
// look late to a process that could not run meanwhile.
const delay = monitorEventLoopDelay({ resolution: 5 })
delay.enable()
const started = process.hrtime.bigint()
let next = 0
let on = 0
await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
  while (next < users) {
    const user = `u${20 * next++ + 1}`
    // Requests come in through I/O, so the event loop turns between them;
    // inject alone would not, and checks answered from memory would then
    // starve timers and sockets.
    await new Promise(setImmediate)
    const response = await app.inject({ url: '/', headers: { 'x-user': user } })
    if (response.json().on === true) on++
  }
}))
const seconds = Number(process.hrtime.bigint() - started) / 1e9
delay.disable()
const maxLoopDelay = delay.max / 1e6
const after = heap()
// How many overrides the cache holds, where the store tells.
const cached = app.pancakes.get().store.cachedOverrides
process.send({ size, users, before, after, on, seconds, cached, warnings, maxLoopDelay })
process.once('disconnect', () => { app.close().then(() => process.exit(0)) })
