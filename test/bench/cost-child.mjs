// The CPU cost of checks without HTTP around them, in a process of its own:
//
//   node test/bench/cost-child.mjs <redis-url | memory | plain>
//
// Each case runs in a fresh request scope (what the plugin's onRequest hook
// makes), many times over; reports CPU microseconds per scope, the median of
// five batches. Reaches into dist/ for the scope, as the plugin does.
// `plain` measures only an async call and its await, in a process where no
// AsyncLocalStorage was ever entered.
import { createRequire } from 'node:module'
import cookie from '@fastify/cookie'
import Fastify from 'fastify'
import pancake from '../../dist/index.mjs'
import { FLAGS, HEADERS, ROLLED_OUT, SAMPLES, SWITCHES, groupFuncs, seedMemory, setRollouts } from './checks.mjs'
import { ROLLOUTS, seedPeers } from './peers.mjs'

const require = createRequire(import.meta.url)
const { Scope } = require('../../dist/scope.js')
const { storage } = require('../../dist/engine.js')

// The cost of an async call and its await. Once any AsyncLocalStorage has
// been entered, Node 20 runs a hook for every promise of the process.
const step = async (x) => x + 1
const steps = async () => { let x = 0; for (let i = 0; i < 1e6; i++) x = await step(x) }
const nsPerAsyncCall = async (run) => {
  const started = process.cpuUsage()
  await run(steps)
  const { user, system } = process.cpuUsage(started)
  return (user + system) / 1e6 * 1000
}

const [store] = process.argv.slice(2)
if (store === 'plain') {
  await nsPerAsyncCall((fn) => fn()) // warm-up
  process.send({ asyncCallNs: await nsPerAsyncCall((fn) => fn()) })
} else {
  const app = Fastify({ logger: false })
  await app.register(cookie, { secret: 'a-benchmark-secret-of-at-least-32-characters' })
  await app.register(pancake, { redis: store === 'memory' ? false : store, groupFuncs })
  await app.ready()
  if (store === 'memory') await seedMemory(app)
  await seedPeers(app)
  // Two flags rolled out to half of the users and of the companies: a
  // check of one of them computes a bucket.
  await setRollouts(app)

  const request = { method: 'GET', routeOptions: { url: '/' }, headers: HEADERS, cookies: {} }
  const inScope = (fn) => storage.run(new Scope(app.pancakes, request), fn)
  const settled = Promise.resolve(true)
  const CASES = {
    'empty scope': async () => {},
    'one await of a settled promise (the floor)': async () => { await settled },
    'one switch': async () => { await SWITCHES[0].isActive() },
    'one flag (2 groups)': async () => { await FLAGS[2].isActive() },
    'one rollout (by user)': async () => { await ROLLOUTS[0].flag.isActive() },
    'one sample': async () => { await SAMPLES[0].isActive() },
    'two flags under rollout (2 groups)': async () => { await ROLLED_OUT[0].isActive(); await ROLLED_OUT[1].isActive() },
    // A request's first flag calls the group functions; the checks after it
    // reuse the ids. The base, then the base and one check more:
    'one flag (the base of the next three)': async () => { await FLAGS[0].isActive() },
    'the base and a switch': async () => { await FLAGS[0].isActive(); await SWITCHES[0].isActive() },
    'the base and a flag': async () => { await FLAGS[0].isActive(); await FLAGS[2].isActive() },
    'the base and a rollout': async () => { await FLAGS[0].isActive(); await ROLLOUTS[0].flag.isActive() },
    'the 10 checks of R2/R3': async () => {
      for (const definition of [...SWITCHES, ...FLAGS, ...SAMPLES]) await definition.isActive()
    }
  }
  const N = 50_000
  const results = {}
  for (const [name, fn] of Object.entries(CASES)) {
    const batches = []
    for (let batch = 0; batch < 5; batch++) {
      const started = process.cpuUsage()
      for (let i = 0; i < N; i++) await inScope(fn)
      const { user, system } = process.cpuUsage(started)
      batches.push((user + system) / N)
    }
    results[name] = batches.sort((a, b) => a - b)[2]
  }
  await nsPerAsyncCall(inScope) // warm-up
  process.send({ results, asyncCallNs: await nsPerAsyncCall(inScope) })
  process.once('disconnect', () => { app.close().then(() => process.exit(0)) })
}
