// Registration: every option checked (ready() fails naming it), the store
// each option picks, several named instances, and the registration errors.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import cookie from '@fastify/cookie'
import fastifyRedis from '@fastify/redis'
import Fastify from 'fastify'
import pancake, { Flag, MemoryStore, Sample, Switch } from '../dist/index.mjs'
import { buildApp, captureLogs, cookiesOf, SECRET, uniqueName } from './helpers/app.mjs'
import { redisForThisFile } from './helpers/redis.mjs'

const redis = redisForThisFile()

/**
 * A redis:// URL whose clients carry a name of their own, and a count of
 * the connections open under that name: other tests' clients do not count.
 */
function namedUrl () {
  const name = uniqueName('pancake-test')
  const url = `${redis.url}?connectionName=${name}`
  const open = async () => {
    const admin = await redis.connected()
    const list = await admin.client('LIST')
    await admin.quit()
    return list.split('\n').filter((line) => line.includes(` name=${name} `)).length
  }
  return { url, open }
}

describe('every bad option fails ready() naming the option', () => {
  const cases = [
    ['name', { name: '' }, 'must be a non-empty string, got ""'],
    ['name', { name: 42 }, 'must be a non-empty string, got 42'],
    ['groupFuncs', { groupFuncs: [() => 'x'] }, 'must be an object mapping group names to group functions'],
    ['groupFuncs', { groupFuncs: 'user' }, 'must be an object mapping group names to group functions'],
    ['redis', { redis: 42 }, 'must be an ioredis client, a redis:// URL, or false'],
    ['redis', { redis: true }, 'must be an ioredis client, a redis:// URL, or false'],
    ['redis', { redis: { host: 'localhost' } }, 'must be an ioredis client, a redis:// URL, or false'],
    ['redis', { redis: 'localhost:6379' }, 'must be a redis:// or rediss:// URL, got "localhost:6379"'],
    ['store', { store: {} }, 'must implement read, set, delete, setTracked, deleteTracked, clearTracked'],
    ['store', { store: { read () {}, set () {} } }, 'must implement read, set, delete, setTracked, deleteTracked, clearTracked'],
    ['store', { store: 'memory' }, 'must implement read, set, delete, setTracked, deleteTracked, clearTracked'],
    ['store', { store: new MemoryStore(), redis: 'redis://127.0.0.1:1' }, 'cannot be combined with "redis"; pick one'],
    ['cookieName', { cookieName: '' }, 'must be a non-empty string, got ""'],
    ['cookieName', { cookieName: ['a'] }, 'must be a non-empty string, got ["a"]'],
    ['cookieOptions', { cookieOptions: 'secure' }, 'must be an object of reply.setCookie options'],
    ['cookieOptions', { cookieOptions: [] }, 'must be an object of reply.setCookie options'],
    ['random', { random: 0.5 }, 'must be a function returning a number in [0, 1)'],
    ['random', { random: 'Math.random' }, 'must be a function returning a number in [0, 1)']
  ]
  for (const [option, options, detail] of cases) {
    test(`${option}: ${JSON.stringify(options)}`, async () => {
      await assert.rejects(buildApp([options]), {
        code: 'FST_PANCAKE_INVALID_OPTION',
        message: `fastify-pancake: option "${option}" ${detail}`
      })
    })
  }

  test('an unknown option, listing the known ones', async () => {
    await assert.rejects(buildApp([{ nmae: 'omlet' }]), (err) => {
      assert.equal(err.code, 'FST_PANCAKE_INVALID_OPTION')
      assert.match(err.message, /^fastify-pancake: option "nmae" is not an option of fastify-pancake \(known: name, groupFuncs, redis, store, cookieName, cookieOptions, random\b/)
      return true
    })
  })

  test('Fastify\'s own register options are accepted', async (t) => {
    const app = await buildApp([{ prefix: '/x', logLevel: 'warn' }])
    t.after(() => app.close())
    assert.deepEqual(app.pancakes.names(), ['pancake'])
  })

  test('a bad option creates no Redis connection', async () => {
    const { url, open } = namedUrl()
    await assert.rejects(buildApp([{ redis: url, random: 'no' }]), { code: 'FST_PANCAKE_INVALID_OPTION' })
    assert.equal(await open(), 0)
  })
})

describe('registration errors', () => {
  test('@fastify/cookie registered without a secret', async () => {
    const app = Fastify()
    await app.register(cookie)
    await assert.rejects(app.register(pancake, { name: 'omlet' }).ready(), {
      code: 'FST_PANCAKE_NO_COOKIE_SECRET',
      message: "fastify-pancake: instance 'omlet' needs signed cookies for samples; register @fastify/cookie with a `secret` before fastify-pancake."
    })
  })

  test('@fastify/cookie not registered', async () => {
    const app = Fastify()
    await assert.rejects(app.register(pancake, {}).ready(), /The dependency '@fastify\/cookie' of plugin 'fastify-pancake' is not registered/)
  })

  test('two instances with the same name', async () => {
    await assert.rejects(buildApp([{ name: 'twice' }, { name: 'twice' }]), {
      code: 'FST_PANCAKE_DUPLICATE_INSTANCE',
      message: "fastify-pancake: an instance named 'twice' is already registered on this app; give each registration its own `name`."
    })
    await assert.rejects(buildApp([{}, {}]), { code: 'FST_PANCAKE_DUPLICATE_INSTANCE', message: /'pancake'/ })
  })

  test('a duplicate instance leaves no Redis connection open', async () => {
    const { url, open } = namedUrl()
    const app = Fastify()
    await app.register(cookie, { secret: SECRET })
    app.register(pancake, { name: 'dup', redis: url })
    app.register(pancake, { name: 'dup', redis: url })
    await assert.rejects(app.ready(), { code: 'FST_PANCAKE_DUPLICATE_INSTANCE' })
    await app.close()
    assert.equal(await open(), 0)
  })

  test('an unknown instance, from app.pancakes.get and from a definition', async (t) => {
    const ORPHAN = new Switch(uniqueName('orphan'), true, 'nope')
    const app = await buildApp([{}, { name: 'omlet' }], (app) => {
      app.get('/', async () => ({ on: await ORPHAN.isActive() }))
    })
    t.after(() => app.close())
    const message = "No pancake instance 'nope' is registered on this app (registered: 'pancake', 'omlet')."
    assert.throws(() => app.pancakes.get('nope'), { code: 'FST_PANCAKE_UNKNOWN_INSTANCE', message })
    await app.pancakes.run(async () => {
      await assert.rejects(ORPHAN.isActive(), { code: 'FST_PANCAKE_UNKNOWN_INSTANCE', message })
    })
    const response = await app.inject('/')
    assert.equal(response.statusCode, 500)
    assert.equal(response.json().code, 'FST_PANCAKE_UNKNOWN_INSTANCE')
  })
})

describe('several instances', () => {
  test('keep separate keys, definitions, groups and stores', async (t) => {
    const client = await redis.connected()
    const name = uniqueName('same')
    const main = new Switch(name, true)
    const omlet = new Switch(name, false, 'Omlet_Mixed')
    const flag = new Flag(uniqueName('beta'), false, 'Omlet_Mixed')
    const sample = new Sample(uniqueName('odds'), 30, 'Omlet_Mixed')
    const app = await buildApp([
      { redis: client, groupFuncs: { user: () => 'alice' } },
      { name: 'Omlet_Mixed', redis: client, groupFuncs: { company: () => 'acme' } },
      { name: 'memory' }
    ], (app) => {
      app.get('/', async () => ({ main: await main.isActive(), omlet: await omlet.isActive(), flag: await flag.isActive(), sample: await sample.get() }))
    })
    t.after(() => app.close())

    assert.deepEqual(app.pancakes.names(), ['pancake', 'Omlet_Mixed', 'memory'])
    assert.deepEqual([...app.pancakes].map((instance) => instance.name), ['pancake', 'Omlet_Mixed', 'memory'])
    assert.equal(app.pancakes.has('Omlet_Mixed'), true)
    assert.equal(app.pancakes.has('omlet_mixed'), false)
    assert.equal(app.pancakes.get().name, 'pancake')
    assert.deepEqual(app.pancakes.get('Omlet_Mixed').groupIds, ['company'])
    assert.deepEqual(app.pancakes.get().groupIds, ['user'])
    assert.equal(app.pancakes.get().switches.get(name), main)
    assert.equal(app.pancakes.get('Omlet_Mixed').switches.get(name), omlet)
    assert.equal(app.pancakes.get('Omlet_Mixed').flags.get(flag.name), flag)
    assert.equal(app.pancakes.get().flags.has(flag.name), false)
    assert.equal(app.pancakes.get('memory').store.kind, 'memory')
    assert.equal(app.pancakes.get('Omlet_Mixed').store.kind, 'redis')

    await app.pancakes.run(() => flag.enableGroup('company', 'acme'))
    assert.deepEqual((await app.inject('/')).json(), { main: true, omlet: false, flag: true, sample: 30 })

    const upper = name.toUpperCase()
    assert.equal(await client.get(`SWITCH:pancake:${upper}`), '1')
    assert.equal(await client.get(`SWITCH:Omlet_Mixed:${upper}`), '0')
    assert.equal(await client.get(`FLAG:Omlet_Mixed:${flag.name.toUpperCase()}`), '0')
    assert.equal(await client.get(`FLAG:Omlet_Mixed:k:company:${flag.name.toUpperCase()}:acme`), '1')
    assert.deepEqual(await client.smembers(`FLAG:Omlet_Mixed:t:company:${flag.name.toUpperCase()}`), [`FLAG:Omlet_Mixed:k:company:${flag.name.toUpperCase()}:acme`])
    assert.equal(await client.get(`SAMPLE:Omlet_Mixed:${sample.name.toUpperCase()}`), '30')
    assert.equal(await client.exists(`SWITCH:OMLET_MIXED:${upper}`, `SWITCH:omlet_mixed:${upper}`), 0)

    // Changing one instance's switch leaves the other's alone.
    await app.pancakes.run(() => omlet.enable())
    assert.equal(await client.get(`SWITCH:pancake:${upper}`), '1')
    assert.equal(await client.get(`SWITCH:Omlet_Mixed:${upper}`), '1')
    await app.pancakes.run(() => main.disable())
    assert.deepEqual((await app.inject('/')).json(), { main: false, omlet: true, flag: true, sample: 30 })
  })
})

describe('which store', () => {
  test('the memory store without Redis, or with redis: false', async (t) => {
    const app = await buildApp([{}, { name: 'off', redis: false }])
    t.after(() => app.close())
    assert.ok(app.pancakes.get().store instanceof MemoryStore)
    assert.ok(app.pancakes.get('off').store instanceof MemoryStore)
  })

  test('a client that is passed in is used and never closed', async (t) => {
    const client = await redis.connected()
    const ON = new Switch(uniqueName('given'), true)
    const app = await buildApp([{ redis: client }])
    await app.pancakes.run(() => ON.isActive())
    assert.equal(await client.get(ON.key), '1')
    await app.close()
    assert.equal(await client.ping(), 'PONG')
  })

  test('a redis:// URL: a client of the plugin\'s own, closed with the app', async () => {
    const { url, open } = namedUrl()
    const ON = new Switch(uniqueName('url'), false)
    const app = await buildApp([{ redis: url }])
    await app.pancakes.run(() => ON.isActive())
    const client = await redis.connected()
    assert.equal(await client.get(ON.key), '0')
    assert.ok(await open() >= 1)
    await app.close()
    assert.equal(await open(), 0)
  })

  test('app.redis from @fastify/redis, when registered', async (t) => {
    const ON = new Switch(uniqueName('fastify_redis'), true)
    const app = Fastify()
    await app.register(cookie, { secret: SECRET })
    await app.register(fastifyRedis, { url: redis.url })
    await app.register(pancake, {})
    t.after(() => app.close())
    await app.ready()
    assert.equal(app.pancakes.get().store.kind, 'redis')
    await app.pancakes.run(() => ON.isActive())
    assert.equal(await app.redis.get(ON.key), '1')
  })

  test('@fastify/redis with namespaces needs the redis option', async (t) => {
    const app = Fastify()
    await app.register(cookie, { secret: SECRET })
    t.after(() => app.close())
    await app.register(fastifyRedis, { url: redis.url, namespace: 'flags' })
    await assert.rejects(app.register(pancake, {}).ready(), {
      code: 'FST_PANCAKE_INVALID_OPTION',
      message: /^fastify-pancake: option "redis" is needed: @fastify\/redis is registered with namespaces/
    })
  })

  test('a custom store', async (t) => {
    const backend = new MemoryStore()
    const writes = []
    const store = {
      kind: 'custom',
      read: (init, keys) => backend.read(init, keys),
      set: (key, value) => { writes.push([key, value]); return backend.set(key, value) },
      delete: (key) => backend.delete(key),
      setTracked: (key, tracking, value) => backend.setTracked(key, tracking, value),
      deleteTracked: (key, tracking) => backend.deleteTracked(key, tracking),
      clearTracked: (tracking, prefix) => backend.clearTracked(tracking, prefix)
    }
    const ON = new Switch(uniqueName('custom'), false)
    const app = await buildApp([{ store }])
    t.after(() => app.close())
    await app.pancakes.run(() => ON.enable())
    assert.deepEqual(writes, [[ON.key, '1']])
    assert.deepEqual(await backend.read([], [ON.key]), ['1'])
    assert.equal(await app.pancakes.run(() => ON.isActive()), true)
  })

  test('the startup log names the store of each instance', async (t) => {
    const { lines, logger } = captureLogs()
    const app = await buildApp([{}, { name: 'shared', redis: await redis.connected() }], () => {}, { logger })
    t.after(() => app.close())
    const messages = lines.filter((line) => line.msg.startsWith('fastify-pancake: instance')).map((line) => line.msg)
    assert.deepEqual(messages, [
      "fastify-pancake: instance 'pancake' uses the memory store",
      "fastify-pancake: instance 'shared' uses the redis store"
    ])
  })
})

describe('cookie options', () => {
  test('the cookie is signed even when cookieOptions say otherwise', async (t) => {
    const ODDS = new Sample(uniqueName('odds'), 100)
    const app = await buildApp([{ cookieOptions: { signed: false } }], (app) => {
      app.get('/', async () => ({ active: await ODDS.isActive() }))
    })
    t.after(() => app.close())
    const { pancake: value } = cookiesOf(await app.inject('/'))
    assert.equal(app.unsignCookie(value).valid, true)
  })
})
