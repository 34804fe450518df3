// Faults a real Redis cannot make on demand, made by a proxy between the
// library and the test's redis-server: stalls, cut connections, refused
// connections. Each test asserts what was answered or stored, never how fast.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { Flag, RedisStore, Switch } from '../dist/index.mjs'
import { buildApp, captureLogs, uniqueName } from './helpers/app.mjs'
import { startProxy } from './helpers/proxy.mjs'
import { redisForThisFile } from './helpers/redis.mjs'
import { eventually } from './helpers/wait.mjs'

const redis = redisForThisFile()

// No periodic re-read: only what a test does reaches Redis.
const QUIET = { staleness: 60_000 }

/** A proxy in front of the test's Redis, and clients that connect through it. */
async function proxied (t) {
  const proxy = await startProxy(redis.port)
  const clients = []
  t.after(async () => {
    for (const client of clients) client.disconnect()
    await proxy.close()
  })
  const client = (options = {}) => {
    const made = new Redis(proxy.url, options)
    made.on('error', () => {})
    clients.push(made)
    return made
  }
  return { proxy, client }
}

const overrideKey = (flag, group, id) => `FLAG:pancake:k:${group}:${flag.name.toUpperCase()}:${id}`

describe('a slow read', () => {
  test('answers from memory for itself only: the next check reads Redis again', async (t) => {
    const { proxy, client } = await proxied(t)
    const F = new Flag(uniqueName('HICCUP'), true)
    const { lines, logger } = captureLogs()
    const app = await buildApp([{ redis: client(), ...QUIET, groupFuncs: { user: (r) => r.query.u } }], (app) => {
      app.get('/', async () => F.isActive())
    }, { logger })
    t.after(() => app.close())
    // Denied to d1: the default, true, would grant it.
    await redis.client().set(overrideKey(F, 'user', 'd1'), '0')

    proxy.stall()
    assert.equal((await app.inject('/?u=slow')).json(), true, 'the read timed out: the default')
    proxy.release()
    assert.equal((await app.inject('/?u=d1')).json(), false, 'read from Redis, not the default')
    assert.equal(lines.filter((line) => /not answering/.test(line.msg)).length, 0, 'one slow read is no outage')
  })

  test('after reads fail in a row, Redis is down until it answers, and not a moment longer', async (t) => {
    const { proxy, client } = await proxied(t)
    const F = new Flag(uniqueName('STALLED'), true)
    const { lines, logger } = captureLogs()
    const app = await buildApp([{ redis: client(), ...QUIET, readTimeout: 300, groupFuncs: { user: (r) => r.query.u } }], (app) => {
      app.get('/', async () => F.isActive())
    }, { logger })
    t.after(() => app.close())
    await redis.client().set(overrideKey(F, 'user', 'd1'), '0')

    proxy.stall()
    for (let i = 0; i < 4; i++) assert.equal((await app.inject(`/?u=s${i}`)).json(), true)
    assert.equal(lines.filter((line) => line.level === 40 && /not answering/.test(line.msg)).length, 1)
    proxy.release()
    // The read held by the stall is answered now: Redis is back.
    await eventually(() => lines.some((line) => /answers again/.test(line.msg)), true)
    assert.equal((await app.inject('/?u=d1')).json(), false, 'read from Redis again')
  })
})

describe('a write that failed', () => {
  test('is not applied later when its connection was stalled, then cut', async (t) => {
    const { proxy, client } = await proxied(t)
    const S = new Switch(uniqueName('GHOST'), false)
    const OTHER = new Switch(uniqueName('GHOST_OTHER'), false)
    const app = await buildApp([{ redis: client(), ...QUIET, writeTimeout: 500 }], (app) => {
      app.post('/ghost', async () => { await S.enable(); return 'ok' })
      app.post('/other', async () => { await OTHER.enable(); return 'ok' })
    })
    t.after(() => app.close())

    proxy.stall()
    const write = await app.inject({ method: 'POST', url: '/ghost' })
    assert.equal(write.statusCode, 503, 'the caller is told the write failed')
    proxy.drop() // what was held never reaches Redis
    proxy.release()
    // A write after the reconnect: a command sent again on the new
    // connection would have run before it.
    await eventually(async () => (await app.inject({ method: 'POST', url: '/other' })).statusCode, 200)
    assert.equal(await redis.client().get(OTHER.key), '1')
    assert.equal(await redis.client().get(S.key), '0', 'the failed write was not applied')
  })

  test('sent while the connection is lost, it fails and is not queued for the reconnect', async (t) => {
    const { proxy, client } = await proxied(t)
    const store = new RedisStore(client())
    t.after(() => store.close())
    await store.set('GHOST:QUEUED', 'before')

    proxy.refuse()
    proxy.drop()
    await eventually(() => store.available(), false)
    const attempt = store.set('GHOST:QUEUED', 'after').then(() => 'applied', () => 'failed')
    proxy.refuse(false)
    await eventually(() => store.available(), true)
    await store.set('GHOST:MARK', '1')
    assert.equal(await attempt, 'failed')
    assert.equal(await redis.client().get('GHOST:QUEUED'), 'before')
  })
})

describe('when Redis comes back', () => {
  test('a change made while it was away is seen within staleness, whatever the client back-off', async (t) => {
    const { proxy, client } = await proxied(t)
    const S = new Switch(uniqueName('AWAY'), false)
    const staleness = 200
    // The app's client would wait 5 s between attempts to reconnect.
    const slow = client({ retryStrategy: () => 5000 })
    const app = await buildApp([{ redis: slow, staleness }], (app) => {
      app.get('/', async () => S.isActive())
    })
    t.after(() => app.close())
    assert.equal((await app.inject('/')).json(), false)

    proxy.refuse()
    proxy.drop()
    await eventually(() => slow.status, 'reconnecting')
    // Unannounced, and the listening connection is away too.
    await redis.client().set(S.key, '1')
    assert.equal((await app.inject('/')).json(), false, 'the last known value while Redis is away')
    proxy.refuse(false)
    const back = Date.now()
    await eventually(async () => (await app.inject('/')).json(), true, 10_000)
    const took = Date.now() - back
    assert.notEqual(slow.status, 'ready', 'seen before the client itself reconnected')
    // The bound is staleness plus a round trip; the margin is for a busy machine.
    assert.ok(took < staleness + 1500, `seen ${took} ms after Redis came back`)
  })
})

describe('a reconnecting subscriber', () => {
  test('reloads after its subscription is confirmed, not before', async (t) => {
    const { proxy, client } = await proxied(t)
    const S = new Switch(uniqueName('RESUBSCRIBED'), false)
    const a = await buildApp([{ redis: redis.client(), ...QUIET }])
    const b = await buildApp([{ redis: client(), ...QUIET }], (app) => {
      app.get('/', async () => S.isActive())
    })
    t.after(() => Promise.all([a.close(), b.close()]))
    const seen = async () => (await b.inject('/')).json()
    assert.equal(await seen(), false)
    const admin = redis.client()
    const listening = async () => Number((await admin.pubsub('NUMSUB', 'fastify-pancake:changes'))[1])
    await eventually(listening, 2)

    // B's listening connection reconnects through the proxy, which holds
    // its SUBSCRIBE: the connection is ready, not yet subscribed.
    const held = proxy.holdWhen(/subscribe/i)
    await admin.client('KILL', 'TYPE', 'pubsub')
    await held
    // Time for a reload made too early (on 'ready') to finish: what follows
    // must be missed by it. With the fix no reload happens yet, so this
    // wait cannot make the test pass.
    await sleep(300)
    // Announced while B is not subscribed: only a reload can tell B.
    await a.pancakes.run(() => S.enable())
    proxy.release()
    await eventually(seen, true)
  })
})

describe('writes waiting for the connection', () => {
  test('share one wait: no listener per write on the client, no MaxListenersExceededWarning', async (t) => {
    const { proxy, client } = await proxied(t)
    const S = new Switch(uniqueName('WAITING'), false)
    const warnings = []
    const onWarning = (warning) => { warnings.push(warning) }
    process.on('warning', onWarning)
    t.after(() => process.off('warning', onWarning))
    // Connected through a proxy that holds everything: the connection is
    // made, its ready check unanswered.
    proxy.stall()
    const shared = client()
    const app = await buildApp([{ redis: shared, ...QUIET, writeTimeout: 3000 }], (app) => {
      app.post('/', async () => { await S.enable(); return 'ok' })
    })
    t.after(() => app.close())
    const listeners = shared.listenerCount('ready')
    const writes = Array.from({ length: 60 }, () => app.inject({ method: 'POST', url: '/' }))
    await sleep(300)
    assert.ok(shared.listenerCount('ready') <= listeners, `${shared.listenerCount('ready') - listeners} listeners added to the client`)
    proxy.release()
    assert.deepEqual((await Promise.all(writes)).map((r) => r.statusCode), Array(60).fill(200))
    assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map(String), [])
  })
})

describe('closing', () => {
  test('resolves when the connection drops during QUIT', async (t) => {
    const { proxy } = await proxied(t)
    const app = await buildApp([{ redis: proxy.url, ...QUIET }])
    const quitting = proxy.holdWhen(/quit/i)
    const closed = app.close()
    await quitting
    proxy.drop()
    await closed
  })
})
