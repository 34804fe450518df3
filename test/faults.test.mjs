// Faults a real Redis cannot make on demand, made by a proxy between the
// library and the test's redis-server: stalls, cut connections, refused
// connections. Each test asserts what was answered or stored, never how fast.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Redis } from 'ioredis'
import { Flag } from '../dist/index.mjs'
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
