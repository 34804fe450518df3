// The near-cache in front of Redis: warm checks cost nothing, writes reach
// every instance, foreign writes are seen, outages are survived.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { setTimeout } from 'node:timers/promises'
import { describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { Flag, PancakeStoreError, Sample, Switch } from '../dist/index.mjs'
import { buildApp, captureLogs, uniqueName } from './helpers/app.mjs'
import { monitorCommands } from './helpers/monitor.mjs'
import { startProxy } from './helpers/proxy.mjs'
import { freePort, redisForThisFile, startRedis } from './helpers/redis.mjs'
import { eventually } from './helpers/wait.mjs'

const redis = redisForThisFile()

// No periodic re-read during a measurement: it would be a command too.
const QUIET = { staleness: 60_000 }

describe('near-cache', () => {
  test('a warm check sends no command to Redis', async (t) => {
    const S = new Switch(uniqueName('WARM_S'), true)
    const F = new Flag(uniqueName('WARM_F'), false)
    const P = new Sample(uniqueName('WARM_P'), 100)
    const app = await buildApp([{ redis: redis.client(), ...QUIET, groupFuncs: { user: (r) => r.headers['x-user'], team: () => 't1' } }], (app) => {
      app.get('/', async () => [await S.isActive(), await F.isActive(), await P.isActive()])
    })
    t.after(() => app.close())
    // The cache reloads once its subscription is made, just after ready:
    // let that pass first.
    await setTimeout(300)
    const monitor = await monitorCommands(redis)
    t.after(() => monitor.stop())

    // Loaded at ready: the definitions' values and defaults, in one batch.
    const client = redis.client()
    assert.equal(await client.get(S.key), '1')
    assert.equal(await client.get(F.key), '0')
    assert.equal(await client.get(P.key), '100')

    // First request for a user: its overrides are not cached yet.
    await monitor.take()
    assert.deepEqual((await app.inject({ url: '/', headers: { 'x-user': 'u1' } })).json(), [true, false, true])
    const cold = await monitor.take()
    assert.equal(cold.length, 1, `one round trip for the overrides, got ${JSON.stringify(cold)}`)

    for (let i = 0; i < 5; i++) {
      assert.deepEqual((await app.inject({ url: '/', headers: { 'x-user': 'u1' } })).json(), [true, false, true])
    }
    assert.deepEqual(await monitor.take(), [])
  })

  test('warm flag checks of one request read the clock once between them', async (t) => {
    const flags = [0, 1, 2, 3].map((i) => new Flag(uniqueName(`CLOCK_F${i}`), i % 2 === 0))
    let reads
    const app = await buildApp([{ redis: redis.client(), ...QUIET, groupFuncs: { user: (r) => r.headers['x-user'], team: () => 't1' } }], (app) => {
      app.get('/', async () => {
        const answers = []
        const now = Date.now
        reads = 0
        Date.now = () => { reads++; return now() }
        try {
          for (const flag of flags) answers.push(await flag.isActive())
        } finally {
          Date.now = now
        }
        return answers
      })
    })
    t.after(() => app.close())
    await app.pancakes.run(() => flags[1].enableGroup('user', 'u1'))
    const request = async () => {
      const response = await app.inject({ url: '/', headers: { 'x-user': 'u1' } })
      assert.deepEqual(response.json(), [true, true, true, false])
      return reads
    }
    // Once the startup reload has passed and u1's overrides are in memory,
    // a request answers its four flags from memory with one clock read.
    await eventually(request, 1)
    assert.equal(await request(), 1)
  })

  test('a write on instance A is seen by instance B without a restart', async (t) => {
    const S = new Switch(uniqueName('SHARED'), false)
    const F = new Flag(uniqueName('SHARED_F'), false)
    const options = { ...QUIET, groupFuncs: { user: (r) => r.headers['x-user'] } }
    const a = await buildApp([{ redis: redis.client(), ...options }])
    const b = await buildApp([{ redis: redis.client(), ...options }], (app) => {
      app.get('/', async () => ({ s: await S.isActive(), f: await F.isActive() }))
    })
    t.after(() => Promise.all([a.close(), b.close()]))
    const seen = async (field) => (await b.inject({ url: '/', headers: { 'x-user': 'u7' } })).json()[field]

    assert.equal(await seen('s'), false)
    assert.equal(await seen('f'), false)
    await a.pancakes.run(() => S.enable())
    await eventually(() => seen('s'), true)
    await a.pancakes.run(() => F.enableGroup('user', 'u7'))
    await eventually(() => seen('f'), true)
    await a.pancakes.run(() => F.clearAllGroup('user'))
    await eventually(() => seen('f'), false)
    await a.pancakes.run(() => S.clear())
    // Cleared: B stores and answers the default again.
    await eventually(() => seen('s'), false)
  })

  test('a write by a program that announces nothing is seen within the staleness bound', async (t) => {
    const S = new Switch(uniqueName('FOREIGN'), false)
    const F = new Flag(uniqueName('FOREIGN_F'), false)
    const app = await buildApp([{ redis: redis.client(), staleness: 100, groupFuncs: { user: () => 'u1' } }], (app) => {
      app.get('/', async () => ({ s: await S.isActive(), f: await F.isActive() }))
    })
    t.after(() => app.close())
    const seen = async (field) => (await app.inject('/')).json()[field]
    assert.equal(await seen('s'), false)
    assert.equal(await seen('f'), false)
    const client = redis.client()
    await client.set(S.key, '1') // as redis-cli or flask-pancake would
    await client.set(`FLAG:pancake:k:user:${F.name.toUpperCase()}:u1`, '1')
    await eventually(() => seen('s'), true)
    await eventually(() => seen('f'), true)
  })

  test('with keyspace notifications on, a foreign write is seen long before the periodic re-read', async (t) => {
    const notifying = await startRedis(['--notify-keyspace-events', 'K$g'])
    t.after(() => notifying.stop())
    const S = new Switch(uniqueName('KEYSPACE'), false)
    const F = new Flag(uniqueName('KEYSPACE_F'), false)
    const app = await buildApp([{ redis: notifying.client(), ...QUIET, cache: { ttl: 60_000 }, groupFuncs: { user: () => 'u1' } }], (app) => {
      app.get('/', async () => ({ s: await S.isActive(), f: await F.isActive() }))
    })
    t.after(() => app.close())
    const seen = async (field) => (await app.inject('/')).json()[field]
    assert.equal(await seen('s'), false)
    assert.equal(await seen('f'), false)
    const client = notifying.client()
    // Re-reads every 60 s, overrides trusted for 60 s: only a notification
    // can make these visible within the test's few seconds.
    await client.set(S.key, '1')
    await client.set(`FLAG:pancake:k:user:${F.name.toUpperCase()}:u1`, '1')
    await eventually(() => seen('s'), true)
    await eventually(() => seen('f'), true)
    await client.del(S.key)
    await eventually(() => seen('s'), false)
  })

  test('a killed subscriber connection is recovered, and missed changes are reloaded', async (t) => {
    const S = new Switch(uniqueName('RESUB'), false)
    const a = await buildApp([{ redis: redis.client(), ...QUIET }])
    const b = await buildApp([{ redis: redis.client(), ...QUIET }], (app) => {
      app.get('/', async () => S.isActive())
    })
    t.after(() => Promise.all([a.close(), b.close()]))
    const seen = async () => (await b.inject('/')).json()
    assert.equal(await seen(), false)

    const client = redis.client()
    // Both apps subscribe in the background: wait until they listen.
    const listening = async () => Number((await client.pubsub('NUMSUB', 'fastify-pancake:changes'))[1])
    await eventually(listening, 2)
    const killed = await client.client('KILL', 'TYPE', 'pubsub')
    assert.ok(killed >= 2, 'both subscribers were killed')
    // Written while B's subscriber is away: only a resync can tell B.
    await client.set(S.key, '1')
    await eventually(seen, true)
    // And the new subscription carries announcements again.
    await eventually(listening, 2)
    await a.pancakes.run(() => S.disable())
    await eventually(seen, false)
  })

  test('a gap in a writer\'s announcements makes the cache reload', async (t) => {
    const S = new Switch(uniqueName('GAP'), false)
    const app = await buildApp([{ redis: redis.client(), ...QUIET }], (app) => {
      app.get('/', async () => S.isActive())
    })
    t.after(() => app.close())
    assert.equal((await app.inject('/')).json(), false)
    const client = redis.client()
    await client.set(S.key, '1')
    // A writer's 5th announcement, about another key: 1 to 4 were missed.
    await client.publish('fastify-pancake:changes', JSON.stringify({ o: 'elsewhere', s: 5, set: { 'SWITCH:pancake:OTHER': '1' } }))
    await eventually(async () => (await app.inject('/')).json(), true)
  })

  test('cache off: every request reads Redis, and concurrent requests share one fetch', async (t) => {
    const S = new Switch(uniqueName('NOCACHE'), false)
    const app = await buildApp([{ redis: redis.client(), cache: false }], (app) => {
      app.get('/', async () => S.isActive())
    })
    t.after(() => app.close())
    const monitor = await monitorCommands(redis)
    t.after(() => monitor.stop())
    await monitor.take()

    await app.inject('/')
    await app.inject('/')
    assert.equal((await monitor.take()).length, 2)

    await Promise.all(Array.from({ length: 20 }, () => app.inject('/')))
    const shared = await monitor.take()
    assert.ok(shared.length < 20, `concurrent checks share fetches: ${shared.length} commands for 20 requests`)

    // Read-your-writes across instances: a raw write is seen at once.
    await redis.client().set(S.key, '1')
    assert.equal((await app.inject('/')).json(), true)
  })

  test('the override LRU is bounded by cache.size', async (t) => {
    const F = new Flag(uniqueName('LRU'), false)
    const app = await buildApp([{ redis: redis.client(), ...QUIET, cache: { size: 50 }, groupFuncs: { user: (r) => r.query.u } }], (app) => {
      app.get('/', async () => F.isActive())
    })
    t.after(() => app.close())
    await app.pancakes.run(() => F.enableGroup('user', 'u3'))
    for (let u = 0; u < 200; u++) await app.inject(`/?u=u${u}`)
    const cache = app.pancakes.get().store
    assert.equal(cache.cachedOverrides, 50)
    assert.equal((await app.inject('/?u=u3')).json(), true)
  })

  test('an evicted override is read again, not answered from memory', async (t) => {
    const F = new Flag(uniqueName('EVICTED'), false)
    const app = await buildApp([{ redis: redis.client(), ...QUIET, cache: { size: 2 }, groupFuncs: { user: (r) => r.query.u } }], (app) => {
      app.get('/', async () => F.isActive())
    })
    t.after(() => app.close())
    // The cache reloads (and distrusts what it holds) once its subscription
    // is made, just after ready: let that pass first.
    await setTimeout(300)
    assert.equal((await app.inject('/?u=a')).json(), false)
    assert.equal((await app.inject('/?u=b')).json(), false)
    assert.equal((await app.inject('/?u=c')).json(), false)
    // Written by a program that announces nothing: only a read sees it.
    await redis.client().set(`FLAG:pancake:k:user:${F.name.toUpperCase()}:a`, '1')
    assert.equal((await app.inject('/?u=a')).json(), true)
    // Still cached, and trusted for `ttl`.
    await redis.client().set(`FLAG:pancake:k:user:${F.name.toUpperCase()}:c`, '1')
    assert.equal((await app.inject('/?u=c')).json(), false)
  })
})

describe('when Redis fails', () => {
  test('checks answer with last known values, else defaults; writes reject; it recovers', async (t) => {
    const own = await startRedis(['--save', ''])
    t.after(() => own.stop())
    const KNOWN = new Switch(uniqueName('KNOWN'), false)
    const COLD = new Flag(uniqueName('COLD'), true)
    const { lines, logger } = captureLogs()
    const client = own.client({ maxRetriesPerRequest: null })
    const app = await buildApp([{ redis: client, ...QUIET, groupFuncs: { user: (r) => r.query.u } }], (app) => {
      app.get('/known', async () => KNOWN.isActive())
      app.get('/cold', async () => COLD.isActive())
      app.post('/write', async () => { await KNOWN.enable(); return 'ok' })
    }, { logger })
    t.after(() => app.close())
    await app.pancakes.run(() => KNOWN.enable())
    assert.equal((await app.inject('/known')).json(), true)

    // Paused: connected but silent. Checks must not wait on it.
    own.process.kill('SIGSTOP')
    try {
      const responses = await Promise.all([
        app.inject('/known'), app.inject('/cold?u=x1'), app.inject('/cold?u=x2'), app.inject('/known')
      ])
      assert.deepEqual(responses.map((r) => [r.statusCode, r.json()]), [[200, true], [200, true], [200, true], [200, true]])
    } finally {
      own.process.kill('SIGCONT')
    }

    // Down: the connection is gone.
    // Not events.once: it rejects on the 'error' (ECONNRESET) that comes first.
    const closed = new Promise((resolve) => client.once('close', resolve))
    own.process.kill('SIGKILL')
    await once(own.process, 'exit')
    await closed
    for (let i = 0; i < 3; i++) {
      assert.equal((await app.inject('/known')).json(), true, 'last known value')
      assert.equal((await app.inject(`/cold?u=y${i}`)).json(), true, 'default')
    }
    const write = await app.inject({ method: 'POST', url: '/write' })
    assert.equal(write.statusCode, 503)
    assert.equal(write.json().code, 'FST_PANCAKE_STORE')
    await assert.rejects(app.pancakes.run(() => KNOWN.disable()), PancakeStoreError)
    const warnings = lines.filter((l) => l.level === 40 && /not answering/.test(l.msg))
    assert.equal(warnings.length, 1, 'one warning per outage')
  })
})

describe('when Redis comes back', () => {
  test('the cache reloads what changed during the outage, and says so once', async (t) => {
    // Between the app and Redis, a proxy that can hold the traffic: Redis
    // itself stays available to the test's own writes.
    const proxy = await startProxy(redis.port)
    const client = new Redis(proxy.url)
    t.after(async () => {
      client.disconnect()
      await proxy.close()
    })
    const BACK = new Switch(uniqueName('BACK'), true)
    const COLD = new Flag(uniqueName('BACK_COLD'), false)
    const { lines, logger } = captureLogs()
    const app = await buildApp([{ redis: client, ...QUIET, groupFuncs: { user: (r) => r.query.u } }], (app) => {
      app.get('/', async () => ({ back: await BACK.isActive(), cold: await COLD.isActive() }))
    }, { logger })
    t.after(() => app.close())
    assert.equal((await app.inject('/?u=a')).json().back, true)

    proxy.stall()
    // Users not cached yet: their reads time out, and after three in a row
    // the store is down.
    for (const user of ['b1', 'b2', 'b3']) {
      assert.deepEqual((await app.inject(`/?u=${user}`)).json(), { back: true, cold: false })
    }
    // Changed while this instance takes the store for down, by a writer
    // that announces nothing; the periodic re-read is a minute away.
    await redis.client().set(BACK.key, '0')
    proxy.release()
    let user = 0
    await eventually(async () => (await app.inject(`/?u=c${++user}`)).json().back, false)
    assert.equal(lines.filter((line) => line.level === 40 && /not answering/.test(line.msg)).length, 1)
    assert.equal(lines.filter((line) => line.level === 30 && /answers again/.test(line.msg)).length, 1)
  })
})

describe('when Redis is not there at startup', () => {
  test('the app starts, warns once, answers with defaults, and rejects writes', async (t) => {
    const DOWN = new Switch(uniqueName('DOWN'), true)
    const { lines, logger } = captureLogs()
    const port = await freePort() // nothing listens there
    const app = await buildApp([{ redis: `redis://127.0.0.1:${port}`, writeTimeout: 200 }], (app) => {
      app.get('/', async () => DOWN.isActive())
    }, { logger })
    t.after(() => app.close())
    const response = await app.inject('/')
    assert.equal(response.statusCode, 200)
    assert.equal(response.json(), true)
    await assert.rejects(app.pancakes.run(() => DOWN.disable()), { code: 'FST_PANCAKE_STORE' })
    assert.equal(lines.filter((line) => line.level === 40 && /not answering/.test(line.msg)).length, 1)
  })
})
