// Megabytes of junk at a definition's key: the default applies, the value is
// never held, sent or logged whole, and what is remembered to log each bad
// value once stays small.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Flag, Sample, Switch } from '../dist/index.mjs'
import { buildApp, captureLogs, uniqueName } from './helpers/app.mjs'
import { redisForThisFile } from './helpers/redis.mjs'

const redis = redisForThisFile()
const PARSE_WARNING = 'fastify-pancake: ignoring a stored value it cannot parse; the default applies'
const MB = 1 << 20

/** A flat string of `bytes` characters, distinct per `tag`. */
const junk = (bytes, tag = '') => Buffer.alloc(bytes, `junk${tag}-`).toString('latin1')

function warningsIn (lines) {
  return lines.filter((line) => line.msg === PARSE_WARNING)
}

test('20 MB in Redis at a switch, a flag override and a sample: defaults, a short marker in memory, a short log line', async (t) => {
  const client = await redis.connected()
  const ON = new Switch(uniqueName('HUGE_SWITCH'), true)
  const BETA = new Flag(uniqueName('HUGE_FLAG'), false)
  const ODDS = new Sample(uniqueName('HUGE_SAMPLE'), 40)
  const override = `FLAG:pancake:k:user:${BETA.name.toUpperCase()}:alice`
  await client.set(ON.key, junk(20 * MB))
  await client.set(override, junk(20 * MB))
  await client.set(ODDS.key, '1'.repeat(20 * MB))

  const { lines, logger } = captureLogs('warn')
  const app = await buildApp([{ redis: client, groupFuncs: { user: () => 'alice' }, random: () => 0.3 }], (app) => {
    app.get('/', async () => ({ on: await ON.isActive(), beta: await BETA.isActive(), odds: await ODDS.get() }))
  }, { logger })
  t.after(() => app.close())
  for (let i = 0; i < 3; i++) assert.deepEqual((await app.inject('/')).json(), { on: true, beta: false, odds: 40 })

  const store = app.pancakes.get().store
  const [held] = store.peek([[ON.key, '1']], [])
  assert.ok(held.length < 200, `the near-cache holds ${held.length} characters`)
  assert.match(held, new RegExp(`^\\u0000TOOLONG:${20 * MB}:junk-junk`))
  const [read] = await store.read([], [override])
  assert.ok(read.length < 200, `a read brings ${read.length} characters`)

  const warnings = warningsIn(lines)
  assert.deepEqual(warnings.map((line) => line.key).sort(), [ON.key, ODDS.key, override].sort())
  for (const line of warnings) {
    assert.ok(JSON.stringify(line).length < 1024, `a log line of ${JSON.stringify(line).length} characters`)
    assert.match(line.value, new RegExp(`TOOLONG:${20 * MB}:`))
  }
  // The junk is left as it was.
  assert.equal(await client.strlen(ON.key), 20 * MB)
})

test('5 MB on the memory store: read as absent, logged as its length and first characters', async (t) => {
  const ON = new Switch(uniqueName('huge_memory'), true)
  const ODDS = new Sample(uniqueName('huge_memory_sample'), 40)
  const { lines, logger } = captureLogs('warn')
  const app = await buildApp([{ redis: false }], () => {}, { logger })
  t.after(() => app.close())
  const store = app.pancakes.get().store
  await store.set(ON.key, junk(5 * MB))
  await store.set(ODDS.key, `4${'0'.repeat(5 * MB)}`)
  for (let i = 0; i < 3; i++) {
    assert.equal(await app.pancakes.run(() => ON.isActive()), true)
    assert.equal(await app.pancakes.run(() => ODDS.get()), 40)
  }
  const warnings = warningsIn(lines)
  assert.equal(warnings.length, 2)
  const [onLine] = warnings.filter((line) => line.key === ON.key)
  assert.equal(onLine.length, 5 * MB)
  assert.ok(onLine.value.length <= 65, `logged ${onLine.value.length} characters`)
  assert.ok(onLine.value.startsWith('junk-junk-'))
  assert.ok(JSON.stringify(onLine).length < 1024)
})

test('remembering 40 distinct 1 MB values to log each once keeps none of them', async (t) => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc')
  const switches = Array.from({ length: 40 }, (_, i) => new Switch(uniqueName(`held_${i}`), true))
  const { lines, logger } = captureLogs('warn')
  const app = await buildApp([{ redis: false }], () => {}, { logger })
  t.after(() => app.close())
  const store = app.pancakes.get().store

  gc()
  const before = process.memoryUsage().heapUsed
  for (const [i, definition] of switches.entries()) {
    await store.set(definition.key, junk(MB, i))
    assert.equal(await app.pancakes.run(() => definition.isActive()), true)
    // The store lets the junk go: only what the instance remembers is left.
    await store.set(definition.key, '1')
  }
  gc()
  const retained = process.memoryUsage().heapUsed - before
  assert.equal(warningsIn(lines).length, 40)
  assert.ok(retained < 10 * MB, `${(retained / MB).toFixed(1)} MB retained`)
})
