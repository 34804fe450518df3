// app.pancakes.on('change'): every change an app learns of, once, with its
// source: its own writes, other processes' (announced), and writes made
// without the library once they are detected. And on('health').
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { describe, test } from 'node:test'
import { Flag, RedisStore, Sample, Switch, keys } from '../dist/index.mjs'
import { buildApp, captureLogs, uniqueName } from './helpers/app.mjs'
import { redisForThisFile, startRedis } from './helpers/redis.mjs'
import { subscribers } from './helpers/wait.mjs'

const redis = redisForThisFile()

// No periodic re-read unless a test asks for one.
const QUIET = { staleness: 60_000 }

/** Records an app's change events; `seen(match)` resolves once one matches. */
function record (app) {
  const changes = []
  const waiting = []
  app.pancakes.on('change', (change) => {
    changes.push(change)
    for (const waiter of waiting.splice(0)) {
      if (waiter.match(change)) waiter.resolve(change)
      else waiting.push(waiter)
    }
  })
  return {
    changes,
    /** Resolves with the first change (seen or to come) for which `match` holds. */
    seen (match) {
      const found = changes.find(match)
      if (found !== undefined) return Promise.resolve(found)
      return new Promise((resolve) => waiting.push({ match, resolve }))
    },
    of (source) {
      return changes.filter((change) => change.source === source)
    }
  }
}

/**
 * Two apps sharing `server`'s Redis with `options`, both listening to the
 * announcements, and what each reports.
 */
async function twoApps (t, options, server = redis) {
  const a = await buildApp([{ redis: server.client(), ...options }])
  const b = await buildApp([{ redis: server.client(), ...options }])
  t.after(() => Promise.all([a.close(), b.close()]))
  await subscribers(server, 2)
  return { a, b, atA: record(a), atB: record(b) }
}

/** What every app should report for `writes` below, with `source`. */
function expectedChanges (S, F, P, source) {
  const base = { instance: 'pancake', source }
  return [
    { ...base, kind: 'switch', name: S.name, target: 'value', value: '1' },
    { ...base, kind: 'switch', name: S.name, target: 'value', value: '0' },
    { ...base, kind: 'switch', name: S.name, target: 'value', value: null },
    { ...base, kind: 'flag', name: F.name, target: 'value', value: '1' },
    { ...base, kind: 'flag', name: F.name, target: 'override', group: 'user', objectId: 'ann', value: '1' },
    { ...base, kind: 'flag', name: F.name, target: 'override', group: 'user', objectId: 'a:b', value: '0' },
    { ...base, kind: 'flag', name: F.name, target: 'override', group: 'user', objectId: 'ann', value: null },
    { ...base, kind: 'sample', name: P.name, target: 'value', value: '25' },
    { ...base, kind: 'sample', name: P.name, target: 'value', value: null }
  ]
}

async function writes (app, S, F, P) {
  await app.pancakes.run(async () => {
    await S.enable()
    await S.disable()
    await S.clear()
    await F.enable()
    await F.enableGroup('user', 'ann')
    await F.disableGroup('user', 'a:b')
    await F.clearGroup('user', 'ann')
    await P.set(25)
    await P.clear()
  })
}

function definitions () {
  // Mixed case: the keys hold the names upper-cased, the events as defined.
  return [new Switch(uniqueName('Dark'), false), new Flag(uniqueName('Beta'), false), new Sample(uniqueName('Odds'), 10)]
}

describe('change events', () => {
  test('the memory store reports each write once, as local, with the names as defined; reads report nothing', async (t) => {
    const [S, F, P] = definitions()
    const app = await buildApp([{ redis: false, groupFuncs: { user: () => 'ann' } }], (app) => {
      app.get('/', async () => [await S.isActive(), await F.isActive(), await P.isActive()])
    })
    t.after(() => app.close())
    const events = record(app)
    await app.inject('/')
    assert.deepEqual(events.changes, [], 'a check stores defaults: no change')
    await writes(app, S, F, P)
    assert.deepEqual(events.changes, expectedChanges(S, F, P, 'local'))

    await app.pancakes.run(() => F.clearAllGroup('user'))
    assert.deepEqual(events.changes.at(-1), { instance: 'pancake', kind: 'flag', name: F.name, target: 'overrides', group: 'user', value: null, source: 'local' })
  })

  test('with Redis: the writer reports local, another app instance, each change once, in order', async (t) => {
    const [S, F, P] = definitions()
    const options = { ...QUIET, groupFuncs: { user: () => 'ann' } }
    const { a, atA, atB } = await twoApps(t, options)

    await writes(a, S, F, P)
    assert.deepEqual(atA.changes, expectedChanges(S, F, P, 'local'))
    await atB.seen((change) => change.kind === 'sample' && change.value === null)
    assert.deepEqual(atB.changes, expectedChanges(S, F, P, 'instance'))

    // Clearing a whole group: where it is done, one change; elsewhere, the
    // announcement names each override deleted.
    await a.pancakes.run(async () => {
      await F.enableGroup('user', 'x1')
      await F.enableGroup('user', 'x2')
      await F.clearAllGroup('user')
    })
    assert.deepEqual(atA.changes.slice(-1), [{ instance: 'pancake', kind: 'flag', name: F.name, target: 'overrides', group: 'user', value: null, source: 'local' }])
    // One announcement names them all.
    await atB.seen((change) => change.objectId === 'x2' && change.value === null)
    const deletions = atB.changes.slice(-3).map(({ objectId, value, target, source }) => ({ objectId, value, target, source }))
    assert.deepEqual(deletions.sort((x, y) => x.objectId.localeCompare(y.objectId)), [
      { objectId: 'a:b', value: null, target: 'override', source: 'instance' },
      { objectId: 'x1', value: null, target: 'override', source: 'instance' },
      { objectId: 'x2', value: null, target: 'override', source: 'instance' }
    ])
    assert.deepEqual(atA.of('outside'), [])
    assert.deepEqual(atB.of('outside'), [])
  })

  test('rollouts are reported as such, by the writer and by the others', async (t) => {
    const F = new Flag(uniqueName('Rolled'), false)
    const options = { ...QUIET, groupFuncs: { user: () => 'ann' } }
    const { a, atA, atB } = await twoApps(t, options)
    await a.pancakes.run(async () => {
      await F.setRollout('user', 30)
      await F.clearRollout('user')
    })
    const rollout = { instance: 'pancake', kind: 'flag', name: F.name, target: 'rollout', group: 'user' }
    const expected = (source) => [{ ...rollout, value: '30', source }, { ...rollout, value: null, source }]
    assert.deepEqual(atA.changes, expected('local'))
    await atB.seen((change) => change.value === null)
    assert.deepEqual(atB.changes, expected('instance'))
  })

  test('a write without the library is reported as outside by every app, once, when the periodic re-read finds it', async (t) => {
    const S = new Switch(uniqueName('Foreign'), false)
    const S2 = new Switch(uniqueName('Foreign'), false)
    const { atA, atB } = await twoApps(t, { staleness: 50 })
    const client = redis.client()

    await client.set(S.key, '1') // as redis-cli or flask-pancake would
    const expected = { instance: 'pancake', kind: 'switch', name: S.name, target: 'value', value: '1', source: 'outside' }
    assert.deepEqual(await atA.seen((change) => change.name === S.name), expected)
    assert.deepEqual(await atB.seen((change) => change.name === S.name), expected)
    // Deleted: reported with null, the default applying again.
    await client.del(S.key)
    assert.deepEqual(await atA.seen((change) => change.name === S.name && change.value === null), { ...expected, value: null })

    // Found by a later re-read: by then S would have been reported again.
    await client.set(S2.key, '1')
    await atA.seen((change) => change.name === S2.name)
    await atB.seen((change) => change.name === S2.name)
    assert.equal(atA.changes.filter((change) => change.name === S.name).length, 2)
    assert.equal(atB.changes.filter((change) => change.name === S.name).length, 2)
  })

  test('a library write that a re-read finds before its announcement arrives is reported once, as announced', async (t) => {
    const S = new Switch(uniqueName('Race'), false)
    const F = new Switch(uniqueName('Race'), false)
    const a = await buildApp([{ redis: redis.client(), ...QUIET }])
    // B hears announcements only when it syncs with Redis, as if its
    // subscriber connection lagged: its re-reads find every write first.
    const b = await buildApp([{ store: new LateAnnouncements(new RedisStore(redis.client())), staleness: 20 }])
    t.after(() => Promise.all([a.close(), b.close()]))
    await subscribers(redis, 2)
    const atB = record(b)
    await a.pancakes.run(() => S.enable())
    assert.deepEqual(await atB.seen((change) => change.name === S.name), { instance: 'pancake', kind: 'switch', name: S.name, target: 'value', value: '1', source: 'instance' })
    // A write no announcement explains is still from outside.
    await redis.client().set(F.key, '1')
    await atB.seen((change) => change.name === F.name)
    assert.deepEqual(atB.changes.map(({ name, source }) => [name, source]), [[S.name, 'instance'], [F.name, 'outside']])
  })

  test('with keyspace notifications: foreign writes are reported at once, the library\'s own never as outside', async (t) => {
    const notifying = await startRedis(['--notify-keyspace-events', 'KA'])
    t.after(() => notifying.stop())
    const S = new Switch(uniqueName('Notified'), false)
    const F = new Flag(uniqueName('Notified'), false)
    const options = { ...QUIET, groupFuncs: { user: () => 'u1' } }
    const { a, b, atA, atB } = await twoApps(t, options, notifying)

    await a.pancakes.run(async () => {
      await S.enable()
      await F.enableGroup('user', 'u1')
      await F.clearGroup('user', 'u1')
      await F.enableGroup('user', 'u2')
      await F.clearAllGroup('user')
    })
    await b.pancakes.run(() => S.disable())
    // An override no app has read, and a definition value, written by hand.
    const client = notifying.client()
    await client.set(`FLAG:pancake:k:user:${F.name.toUpperCase()}:zed`, '1')
    await client.set(S.key, '1')
    for (const at of [atA, atB]) {
      await at.seen((change) => change.source === 'outside' && change.name === S.name)
      assert.deepEqual(at.of('outside'), [
        { instance: 'pancake', kind: 'flag', name: F.name, target: 'override', group: 'user', objectId: 'zed', value: '1', source: 'outside' },
        { instance: 'pancake', kind: 'switch', name: S.name, target: 'value', value: '1', source: 'outside' }
      ])
    }
    assert.deepEqual(atA.of('local').map((change) => change.target), ['value', 'override', 'override', 'override', 'overrides'])
    assert.deepEqual(atB.of('local').map((change) => change.target), ['value'])
  })

  test('changes missed while not listening are reported as outside by the resync', async (t) => {
    const S = new Switch(uniqueName('Missed'), false)
    const app = await buildApp([{ redis: redis.client(), ...QUIET }])
    t.after(() => app.close())
    await subscribers(redis, 1)
    const events = record(app)
    const client = redis.client()
    await client.set(S.key, '1')
    // A writer's 5th announcement, about a key this app does not define:
    // 1 to 4 were missed.
    await client.publish('fastify-pancake:changes', JSON.stringify({ o: 'elsewhere', s: 5, set: { 'SWITCH:pancake:NOT_DEFINED_HERE': '1' } }))
    assert.deepEqual(await events.seen((change) => change.source === 'outside'), { instance: 'pancake', kind: 'switch', name: S.name, target: 'value', value: '1', source: 'outside' })
    // The announcement itself, named as its key spells it.
    assert.deepEqual(events.changes.filter((change) => change.source === 'instance'), [
      { instance: 'pancake', kind: 'switch', name: 'NOT_DEFINED_HERE', target: 'value', value: '1', source: 'instance' }
    ])
  })

  test('two instances sharing one Redis each report their own keys only', async (t) => {
    const S = new Switch(uniqueName('Mine'), false)
    const O = new Switch(uniqueName('Mine'), false, 'other')
    const client = redis.client()
    const a = await buildApp([{ redis: client, ...QUIET }, { name: 'other', redis: client, ...QUIET }])
    const b = await buildApp([{ redis: redis.client(), ...QUIET }, { name: 'other', redis: redis.client(), ...QUIET }])
    t.after(() => Promise.all([a.close(), b.close()]))
    await subscribers(redis, 4)
    const atA = record(a)
    const atB = record(b)
    await a.pancakes.run(async () => {
      await O.enable()
      await S.enable()
    })
    assert.deepEqual(atA.changes.map(({ instance, name }) => [instance, name]), [['other', O.name], ['pancake', S.name]])
    await atB.seen((change) => change.name === S.name)
    await atB.seen((change) => change.name === O.name)
    assert.deepEqual(atB.changes.map(({ instance, name }) => [instance, name]).sort(), [['other', O.name], ['pancake', S.name]])
  })

  test('a listener that throws or rejects is logged; the write stands and the other listeners hear of it', async (t) => {
    const S = new Switch(uniqueName('Listened'), false)
    const { lines, logger } = captureLogs('error')
    const app = await buildApp([{ redis: false }], () => {}, { logger })
    t.after(() => app.close())
    let rejected
    const rejection = new Promise((resolve) => { rejected = resolve })
    const heard = []
    app.pancakes
      .on('change', () => { throw new Error('listener bug') })
      .on('change', async () => {
        rejected()
        throw new Error('async listener bug')
      })
      .on('change', (change) => heard.push(change.value))
    await app.pancakes.run(() => S.enable())
    assert.deepEqual(heard, ['1'])
    assert.equal(await app.pancakes.run(() => S.isActive()), true)
    await rejection
    await new Promise((resolve) => setImmediate(resolve))
    const failures = lines.filter((line) => line.msg === "fastify-pancake: a 'change' listener failed")
    assert.deepEqual(failures.map((line) => line.err.message).sort(), ['async listener bug', 'listener bug'])
  })

  test('off() stops a listener; an unknown event is an error', async (t) => {
    const S = new Switch(uniqueName('Off'), false)
    const app = await buildApp([{ redis: false }])
    t.after(() => app.close())
    const heard = []
    const listener = (change) => heard.push(change.value)
    app.pancakes.on('change', listener)
    await app.pancakes.run(() => S.enable())
    assert.equal(app.pancakes.listenerCount('change'), 1)
    app.pancakes.off('change', listener)
    await app.pancakes.run(() => S.disable())
    assert.deepEqual(heard, ['1'])
    assert.throws(() => app.pancakes.on('chnage', listener), { code: 'FST_PANCAKE_UNKNOWN_EVENT' })
  })

  test('with the near-cache off, the app reports its own writes', async (t) => {
    const S = new Switch(uniqueName('Uncached'), false)
    const app = await buildApp([{ redis: redis.client(), cache: false }])
    t.after(() => app.close())
    const events = record(app)
    await app.pancakes.run(() => S.enable())
    assert.deepEqual(events.changes.map(({ value, source }) => [value, source]), [['1', 'local']])
  })
})

describe('health events', () => {
  test('a lost connection is reported at once, and its return once a read succeeds', async (t) => {
    const S = new Switch(uniqueName('Healthy'), false)
    const client = await redis.connected()
    client.on('error', () => {})
    const app = await buildApp([{ redis: client, ...QUIET }])
    t.after(() => app.close())
    const health = []
    app.pancakes.on('health', (event) => health.push(event))
    assert.equal(app.pancakes.available(), true)

    const down = once(client, 'close')
    const back = new Promise((resolve) => app.pancakes.on('health', (event) => { if (event.available) resolve() }))
    await redis.client().client('KILL', 'ID', String(await client.client('ID')))
    await down
    assert.equal(app.pancakes.available(), false)
    assert.deepEqual(health.map(({ instance, available }) => ({ instance, available })), [{ instance: 'pancake', available: false }])
    assert.ok(health[0].error instanceof Error)
    await back
    assert.equal(app.pancakes.available(), true)
    assert.deepEqual(health.map(({ available }) => available), [false, true])
    assert.equal(await app.pancakes.run(() => S.isActive()), false)
  })

  test('a store that stops answering is reported down, and up once it answers', async (t) => {
    const own = await startRedis(['--save', ''])
    t.after(() => own.stop())
    const F = new Flag(uniqueName('Paused'), false)
    // Re-read every 200 ms: what tells the cache the store is back.
    const app = await buildApp([{ redis: own.client(), staleness: 200, readTimeout: 100, groupFuncs: { user: (r) => r.query.u } }], (app) => {
      app.get('/', async () => F.isActive())
    })
    t.after(() => app.close())
    const health = []
    app.pancakes.on('health', (event) => health.push(event.available))
    own.process.kill('SIGSTOP')
    try {
      // A user not cached yet: its read times out.
      assert.equal((await app.inject('/?u=a')).json(), false)
    } finally {
      own.process.kill('SIGCONT')
    }
    assert.deepEqual(health, [false])
    assert.equal(app.pancakes.available(), false)
    await new Promise((resolve) => app.pancakes.on('health', resolve))
    assert.deepEqual(health, [false, true])
    assert.equal(app.pancakes.available(), true)
  })
})

describe('keys.parseKey', () => {
  test('names what a key holds, trying known groups and flag names first', () => {
    const groups = ['user', 'org:unit']
    const flags = ['A:B', 'A']
    assert.deepEqual(keys.parseKey('ext', 'SWITCH:ext:X', groups, flags), { kind: 'switch', name: 'X', target: 'value' })
    assert.deepEqual(keys.parseKey('ext', 'SAMPLE:ext:P:Q', groups, flags), { kind: 'sample', name: 'P:Q', target: 'value' })
    assert.deepEqual(keys.parseKey('ext', 'FLAG:ext:A:B', groups, flags), { kind: 'flag', name: 'A:B', target: 'value' })
    assert.deepEqual(keys.parseKey('ext', 'FLAG:ext:k:org:unit:A:B:x:y', groups, flags), { kind: 'flag', name: 'A:B', target: 'override', group: 'org:unit', objectId: 'x:y' })
    assert.deepEqual(keys.parseKey('ext', 'FLAG:ext:k:user:A:1', groups, flags), { kind: 'flag', name: 'A', target: 'override', group: 'user', objectId: '1' })
    // Unknown group and flag: each ends at a colon.
    assert.deepEqual(keys.parseKey('ext', 'FLAG:ext:k:team:Z:7:8', groups, flags), { kind: 'flag', name: 'Z', target: 'override', group: 'team', objectId: '7:8' })
    assert.deepEqual(keys.parseKey('ext', 'FLAG:ext:t:user:A', groups, flags), { kind: 'flag', name: 'A', target: 'overrides', group: 'user' })
    assert.deepEqual(keys.parseKey('ext', 'FLAG:ext:r:org:unit:A', groups, flags), { kind: 'flag', name: 'A', target: 'rollout', group: 'org:unit' })
    assert.equal(keys.parseKey('ext', 'FLAG:ext:k:user', groups, flags), undefined)
    assert.equal(keys.parseKey('ext', 'FLAG:ext:k:user:A', groups, flags), undefined)
    assert.equal(keys.parseKey('ext', 'SWITCH:other:X', groups, flags), undefined)
    assert.equal(keys.parseKey('ext', 'PANCAKE:ext:audit', groups, flags), undefined)
  })
})

/**
 * A Redis store whose announcements reach the near-cache only when it
 * syncs: what a late subscriber connection looks like, made certain.
 */
class LateAnnouncements {
  #held = []
  constructor (inner) {
    this.inner = inner
    this.kind = inner.kind
    this.origin = inner.origin
  }

  read (init, keys) { return this.inner.read(init, keys) }
  set (key, value) { return this.inner.set(key, value) }
  delete (key) { return this.inner.delete(key) }
  setTracked (key, tracking, value) { return this.inner.setTracked(key, tracking, value) }
  deleteTracked (key, tracking) { return this.inner.deleteTracked(key, tracking) }
  clearTracked (tracking) { return this.inner.clearTracked(tracking) }
  available () { return this.inner.available() }
  whenAvailable (ms) { return this.inner.whenAvailable(ms) }
  subscribe (listener) {
    this.listener = listener
    return this.inner.subscribe({ ...listener, change: (change) => this.#held.push(change) })
  }

  async sync () {
    await this.inner.sync()
    for (const change of this.#held.splice(0)) this.listener?.change(change)
  }
}
