// The OpenFeature costs, in a process of its own:
//
//   node test/bench/openfeature-child.mjs <redis-url | memory>
//
// Reports the CPU microseconds of one evaluation of the same flag (a user
// override) by (a) FLAG.isActive() in a request scope, (b) an OpenFeature
// client over PancakeProvider, with a context and, in a request scope,
// without one, and (c) the same client API over the SDK's own
// InMemoryProvider holding the same flag: the median of five batches.
// Then serves the OFREP routes, with 20 definitions, on a port it sends to
// the parent, with the ETag of the bulk answer.
import { createRequire } from 'node:module'
import cookie from '@fastify/cookie'
import { InMemoryProvider, OpenFeature } from '@openfeature/server-sdk'
import Fastify from 'fastify'
import pancake, { Flag, Sample, Switch, pancakeOfrep } from '../../dist/index.mjs'
import { PancakeProvider } from '../../dist/openfeature/index.mjs'
import { HEADERS, groupFuncs } from './checks.mjs'

const require = createRequire(import.meta.url)
const { Scope } = require('../../dist/scope.js')
const { storage } = require('../../dist/engine.js')

// An instance of its own, with 20 definitions for the bulk answer: 8
// switches, 8 flags, 4 samples (those of checks.mjs belong to another).
const INSTANCE = 'openfeature'
const switches = Array.from({ length: 8 }, (_, i) => new Switch(`OF_S${i}`, i % 2 === 0, INSTANCE))
const flags = Array.from({ length: 8 }, (_, i) => new Flag(`OF_F${i}`, i % 2 === 1, INSTANCE))
const samples = [0, 25, 50, 100].map((percent, i) => new Sample(`OF_P${i}`, percent, INSTANCE))
const BETA = flags[0]

const [store] = process.argv.slice(2)
const app = Fastify({ logger: false })
await app.register(cookie, { secret: 'a-benchmark-secret-of-at-least-32-characters' })
await app.register(pancake, { name: INSTANCE, redis: store === 'memory' ? false : store, groupFuncs })
await app.register(pancakeOfrep, { prefix: '/flags', instance: INSTANCE })
await app.listen({ host: '127.0.0.1', port: 0 })
await app.pancakes.run(async () => {
  await BETA.enableGroup('user', 'u1')
  await flags[1].disableGroup('company', 'c1')
})

await OpenFeature.setProviderAndWait('pancake', new PancakeProvider(app, { instance: INSTANCE }))
await OpenFeature.setProviderAndWait('memory', new InMemoryProvider({
  [BETA.name]: {
    variants: { on: true, off: false },
    defaultVariant: 'off',
    disabled: false,
    contextEvaluator: (context) => (context.targetingKey === 'u1' ? 'on' : 'off')
  }
}))
const pancakeClient = OpenFeature.getClient('pancake')
const memoryClient = OpenFeature.getClient('memory')
const context = { targetingKey: 'u1' }

const request = { method: 'POST', routeOptions: { url: '/' }, headers: HEADERS, cookies: {} }
const inScope = (fn) => storage.run(new Scope(app.pancakes, request), fn)

const CASES = {
  'isActive()': () => inScope(async () => await BETA.isActive()),
  'PancakeProvider, with a context': () => pancakeClient.getBooleanValue(BETA.name, false, context),
  'PancakeProvider, in a request, no context': () => inScope(async () => await pancakeClient.getBooleanValue(BETA.name, false)),
  'InMemoryProvider, with a context': () => memoryClient.getBooleanValue(BETA.name, false, context)
}
for (const [name, evaluate] of Object.entries(CASES)) {
  if (await evaluate() !== true) throw new Error(`${name} answered false for u1`)
}

const N = 20_000
const results = {}
// Rounds in turn, so that a busy moment of the machine weighs on every case.
const batches = Object.fromEntries(Object.keys(CASES).map((name) => [name, []]))
for (let round = 0; round < 6; round++) {
  for (const [name, evaluate] of Object.entries(CASES)) {
    const started = process.cpuUsage()
    for (let i = 0; i < N; i++) await evaluate()
    const { user, system } = process.cpuUsage(started)
    // The first round warms up.
    if (round > 0) batches[name].push((user + system) / N)
  }
}
for (const [name, values] of Object.entries(batches)) results[name] = values.sort((a, b) => a - b)[2]

const bulk = await app.inject({ method: 'POST', url: '/flags/ofrep/v1/evaluate/flags', headers: HEADERS, payload: { context: {} } })
if (bulk.json().flags.length !== 20) throw new Error(`the bulk answer has ${bulk.json().flags.length} flags`)
process.send({ port: app.server.address().port, etag: bulk.headers.etag, results, definitions: switches.length + flags.length + samples.length })
process.once('disconnect', () => { OpenFeature.close().then(() => app.close()).then(() => process.exit(0)) })
