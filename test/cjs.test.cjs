'use strict'
// The package from CommonJS: `require` gets the plugin (as `.default` and
// `.fastifyPancake`) and the classes, and shares one registry of
// definitions with the ES module entry point.
const assert = require('node:assert/strict')
const { test } = require('node:test')
const cookie = require('@fastify/cookie')
const Fastify = require('fastify')
const pancake = require('../dist/index.js')

const SECRET = 'a-secret-with-at-least-32-characters!!'

let unique = 0
const fresh = (base) => `${base}_cjs_${++unique}`

async function appWith (plugin, options, setup) {
  const app = Fastify()
  await app.register(cookie, { secret: SECRET })
  await app.register(plugin, options)
  setup(app)
  await app.ready()
  return app
}

test('require exposes the plugin as .default and .fastifyPancake, and the classes', () => {
  assert.equal(typeof pancake.default, 'function')
  assert.equal(pancake.default, pancake.fastifyPancake)
  assert.equal(pancake.default[Symbol.for('plugin-meta')].name, 'fastify-pancake')
  for (const name of ['Switch', 'Flag', 'Sample', 'GroupFunc', 'MemoryStore', 'RedisStore', 'Pancakes', 'PancakeInstance']) {
    assert.equal(typeof pancake[name], 'function', name)
  }
  assert.equal(typeof pancake.definitions.clear, 'function')
  assert.equal(pancake.DEFAULT_INSTANCE, 'pancake')
})

test('the package name resolves to the same module through its exports map', () => {
  assert.equal(require('fastify-pancake'), pancake)
})

for (const exportName of ['default', 'fastifyPancake']) {
  test(`an app registers the plugin required as .${exportName}`, async (t) => {
    const ON = new pancake.Switch(fresh('on'), true)
    const BETA = new pancake.Flag(fresh('beta'), false)
    const ODDS = new pancake.Sample(fresh('odds'), 100)
    const app = await appWith(pancake[exportName], { groupFuncs: { user: () => 'alice' } }, (app) => {
      app.get('/', async () => ({ on: await ON.isActive(), beta: await BETA.isActive(), odds: await ODDS.isActive() }))
    })
    t.after(() => app.close())
    await app.pancakes.run(() => BETA.enableGroup('user', 'alice'))
    const response = await app.inject('/')
    assert.deepEqual(response.json(), { on: true, beta: true, odds: true })
    assert.ok(response.headers['set-cookie'])
  })
}

test('import and require share one registry and one request scope', async (t) => {
  const esm = await import('../dist/index.mjs')
  assert.equal(esm.Switch, pancake.Switch)
  assert.equal(esm.definitions, pancake.definitions)
  assert.equal(esm.default, pancake.default)

  // A Switch made through require, an app registered through import.
  const ON = new pancake.Switch(fresh('shared'), false)
  const app = await appWith(esm.default, {}, (app) => {
    app.get('/', async () => ({ on: await ON.isActive() }))
  })
  t.after(() => app.close())
  assert.equal(app.pancakes.get().switches.get(ON.name), ON)
  assert.deepEqual((await app.inject('/')).json(), { on: false })
  await app.pancakes.run(() => ON.enable())
  assert.deepEqual((await app.inject('/')).json(), { on: true })

  // An error raised through one entry point is an instance of the other's class.
  await assert.rejects(ON.isActive(), (err) => err instanceof esm.PancakeNoContextError && err instanceof pancake.PancakeNoContextError)
})

test('fastify-pancake/openfeature: one provider class from require and import, loaded only when asked for', async () => {
  const { PancakeProvider } = require('fastify-pancake/openfeature')
  assert.equal(typeof PancakeProvider, 'function')
  assert.equal((await import('fastify-pancake/openfeature')).PancakeProvider, PancakeProvider)
  // The main entry does not load the OpenFeature SDK.
  const { execFileSync } = require('node:child_process')
  const loaded = execFileSync(process.execPath, ['-e', "require('fastify-pancake'); console.log(Object.keys(require.cache).some((file) => file.includes('@openfeature')))"], { encoding: 'utf8' })
  assert.equal(loaded.trim(), 'false')
})
