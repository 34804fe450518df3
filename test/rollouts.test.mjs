// Rollouts and the evaluation engine: the decision order (override, then
// rollout, then the global value) across two groups, evaluate() with an
// explicit context and its reasons, storage on both stores, a second
// instance following rollouts through pub/sub, one round trip with the
// cache off, sticky-by-id samples, and bad input.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { Flag, Sample, bucket } from '../dist/index.mjs'
import { buildApp, captureLogs, cookiesOf, uniqueName } from './helpers/app.mjs'
import { monitorCommands } from './helpers/monitor.mjs'
import { redisForThisFile } from './helpers/redis.mjs'
import { build, raw, storeKinds } from './helpers/stores.mjs'
import { eventually } from './helpers/wait.mjs'

let monitor
const redis = redisForThisFile(async (redis) => { monitor = await monitorCommands(redis) })
after(async () => { await monitor?.stop() })
const stores = storeKinds(redis)

const groupFuncs = { user: (request) => request.headers['x-user'], company: (request) => request.headers['x-company'] }

/** An id of `flag` whose bucket is inside (or outside) `percentage`. */
function idFor (flag, percentage, inside) {
  for (let i = 0; ; i++) {
    const id = `id-${i}`
    if ((bucket(flag.name, id) <= percentage) === inside) return id
  }
}

for (const [storeName, storeOptions] of Object.entries(stores)) {
  describe(`rollouts on the ${storeName} store`, () => {
    test('decision order across two groups: override, then the first group with a rollout and an id, then global', async (t) => {
      const flag = new Flag(uniqueName('order'), false)
      const app = await build(storeOptions, { groupFuncs }, (app) => {
        app.get('/', async () => ({ active: await flag.isActive(), evaluation: await flag.evaluate() }))
      })
      t.after(() => app.close())
      const userIn = idFor(flag, 30, true)
      const userOut = idFor(flag, 30, false)
      // [global, user override, company override, user rollout, company rollout, user id, company id] → [value, reason, group]
      const TABLE = [
        [false, null, null, null, null, 'u', 'c', false, 'global'],
        [true, null, null, null, null, 'u', 'c', true, 'global'],
        [true, null, null, 0, null, 'u', 'c', false, 'rollout', 'user'],
        [false, null, null, 100, null, 'u', 'c', true, 'rollout', 'user'],
        [false, null, null, null, 100, 'u', 'c', true, 'rollout', 'company'],
        [true, null, null, 0, 100, 'u', 'c', false, 'rollout', 'user'],
        [false, null, null, 30, null, userIn, 'c', true, 'rollout', 'user'],
        [true, null, null, 30, null, userOut, 'c', false, 'rollout', 'user'],
        [false, null, true, 0, null, 'u', 'c', true, 'override', 'company'],
        [true, false, null, 100, 100, 'u', 'c', false, 'override', 'user'],
        [false, true, false, 0, 0, 'u', 'c', true, 'override', 'user'],
        [false, null, null, 100, 0, undefined, 'c', false, 'rollout', 'company'],
        [true, null, null, 0, 0, undefined, undefined, true, 'global'],
        [false, null, null, 100, 100, undefined, undefined, false, 'global']
      ]
      for (const row of TABLE) {
        const [global, userOverride, companyOverride, userRollout, companyRollout, user, company, value, reason, group] = row
        await app.pancakes.run(async () => {
          await (global ? flag.enable() : flag.disable())
          for (const [name, override, id] of [['user', userOverride, user ?? 'u'], ['company', companyOverride, company ?? 'c']]) {
            await flag.clearAllGroup(name)
            if (override !== null) await (override ? flag.enableGroup(name, id) : flag.disableGroup(name, id))
          }
          for (const [name, rollout] of [['user', userRollout], ['company', companyRollout]]) {
            await (rollout === null ? flag.clearRollout(name) : flag.setRollout(name, rollout))
          }
        })
        const headers = {}
        if (user !== undefined) headers['x-user'] = user
        if (company !== undefined) headers['x-company'] = company
        const response = await app.inject({ url: '/', headers })
        const { active, evaluation } = response.json()
        assert.equal(active, value, JSON.stringify(row))
        assert.equal(evaluation.value, value, JSON.stringify(row))
        assert.equal(evaluation.reason, reason, JSON.stringify(row))
        assert.equal(evaluation.group, group, JSON.stringify(row))
        // The same answer for the same ids, given explicitly, outside any request.
        const explicit = await app.pancakes.evaluate(flag, { user, company })
        assert.deepEqual(explicit, evaluation, JSON.stringify(row))
        if (reason === 'rollout') {
          const id = group === 'user' ? user : company
          assert.equal(explicit.bucket, bucket(flag.name, id))
          assert.equal(explicit.objectId, id)
        }
      }
    })

    test('setRollout, rollouts() and clearRollout store FLAG:EXT:r:GROUP:NAME as a decimal string', async (t) => {
      const flag = new Flag(uniqueName('stored'), false)
      const app = await build(storeOptions, { groupFuncs })
      t.after(() => app.close())
      const key = `FLAG:pancake:r:company:${flag.name.toUpperCase()}`
      assert.equal(flag.rolloutKey('company'), key)
      await app.pancakes.run(async () => {
        assert.deepEqual(await flag.rollouts(), {})
        await flag.setRollout('company', 12.5)
        await flag.setRollout('user', 100)
        assert.deepEqual(await flag.rollouts(), { user: 100, company: 12.5 })
      })
      assert.equal(await raw(app, key), '12.5')
      await app.pancakes.run(() => flag.clearRollout('company'))
      assert.equal(await raw(app, key), null)
      await app.pancakes.run(async () => assert.deepEqual(await flag.rollouts(), { user: 100 }))
      // A rollout is state of its own: clearing the flag's value or a group's overrides leaves it.
      await app.pancakes.run(async () => { await flag.clear(); await flag.clearAllGroup('user') })
      await app.pancakes.run(async () => assert.deepEqual(await flag.rollouts(), { user: 100 }))
    })

    test('bad input: a percentage outside [0, 100], NaN or not a number, and an unknown group', async (t) => {
      const flag = new Flag(uniqueName('bad'), false)
      const app = await build(storeOptions, { groupFuncs })
      t.after(() => app.close())
      await app.pancakes.run(async () => {
        for (const bad of [-1, 100.5, NaN, Infinity, '50', null, undefined]) {
          await assert.rejects(flag.setRollout('user', bad), (err) => {
            assert.equal(err.code, 'FST_PANCAKE_INVALID_ROLLOUT')
            assert.match(err.message, /must be in the range \[0, 100\]\.$/)
            return true
          }, String(bad))
        }
        await assert.rejects(flag.setRollout('usr', 10), { code: 'FST_PANCAKE_INVALID_GROUP' })
        await assert.rejects(flag.clearRollout('usr'), { code: 'FST_PANCAKE_INVALID_GROUP' })
        assert.deepEqual(await flag.rollouts(), {})
      })
      await assert.rejects(app.pancakes.evaluate(flag, { usr: '1' }), { code: 'FST_PANCAKE_INVALID_GROUP' })
      await assert.rejects(app.pancakes.evaluate(flag, { user: { id: 1 } }), { code: 'FST_PANCAKE_INVALID_CONTEXT' })
      await assert.rejects(app.pancakes.evaluate(flag, 'user'), { code: 'FST_PANCAKE_INVALID_CONTEXT' })
      await assert.rejects(app.pancakes.get().evaluate('NO_SUCH_THING'), { code: 'FST_PANCAKE_UNKNOWN_DEFINITION' })
    })
  })
}

describe('evaluate()', () => {
  test('reasons: default, global, override, rollout, sample; by definition or by name; ids as numbers; empty ids are none', async (t) => {
    const flag = new Flag(uniqueName('why'), true)
    const odds = new Sample(uniqueName('why_odds'), 100)
    const app = await buildApp([{ groupFuncs, random: () => 0.5 }])
    t.after(() => app.close())
    const pancake = app.pancakes.get()
    // Nothing stored yet: the memory store stores the default on the first read.
    assert.deepEqual(await pancake.evaluate(flag.name), { value: true, reason: 'global', kind: 'flag' })
    await app.pancakes.run(() => flag.enableGroup('user', 42))
    assert.deepEqual(await pancake.evaluate(flag, { user: 42 }), { value: true, reason: 'override', kind: 'flag', group: 'user', objectId: '42' })
    await app.pancakes.run(() => flag.disable())
    for (const none of [{}, { user: '' }, { user: NaN }, { user: null }, { user: undefined }]) {
      assert.deepEqual(await pancake.evaluate(flag, none), { value: false, reason: 'global', kind: 'flag' })
    }
    await app.pancakes.run(() => flag.setRollout('company', 100))
    assert.deepEqual(await app.pancakes.evaluate(flag, { company: 7 }), {
      value: true, reason: 'rollout', kind: 'flag', group: 'company', objectId: '7', bucket: bucket(flag.name, '7'), percentage: 100
    })
    assert.deepEqual(await app.pancakes.evaluate(odds), { value: true, reason: 'sample', kind: 'sample', percentage: 100 })
    // A definition of another instance is not this instance's.
    const other = new Flag(uniqueName('elsewhere'), false, 'other')
    await assert.rejects(pancake.evaluate(other), { code: 'FST_PANCAKE_UNKNOWN_DEFINITION' })
  })

  test('a value it cannot parse is "default", warned once', async (t) => {
    const client = await redis.connected()
    const flag = new Flag(uniqueName('junk'), true)
    const { lines, logger } = captureLogs('warn')
    const app = await buildApp([{ redis: client, groupFuncs }], () => {}, { logger })
    t.after(() => app.close())
    await client.set(flag.key, 'yes')
    await client.set(flag.rolloutKey('user'), 'half')
    await app.pancakes.get().store.resync()
    // The app resyncs by itself once its subscription is confirmed, in the
    // background after ready: a reload of that resync under way when the
    // values above were written is rightly not kept, and the next one
    // brings them.
    await eventually(async () => (await app.pancakes.evaluate(flag, { user: 'u' })).reason, 'default')
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await app.pancakes.evaluate(flag, { user: 'u' }), { value: true, reason: 'default', kind: 'flag' })
    }
    const warnings = lines.filter((line) => line.level === 40).map((line) => [line.key, line.msg])
    assert.deepEqual(warnings.sort(), [
      [flag.key, 'fastify-pancake: ignoring a stored value it cannot parse; the default applies'],
      [flag.rolloutKey('user'), 'fastify-pancake: ignoring a stored value it cannot parse; it reads as no rollout']
    ].sort())
  })
})

describe('rollouts through Redis', () => {
  test('a rollout is loaded at ready and reaches a second instance through pub/sub', async (t) => {
    const client = await redis.connected()
    const flag = new Flag(uniqueName('shared'), false)
    await client.set(flag.rolloutKey('user'), '100')
    const options = { redis: client, groupFuncs, staleness: 60_000 }
    const a = await buildApp([options])
    const b = await buildApp([options], (app) => {
      app.get('/', async () => ({ active: await flag.isActive() }))
    })
    t.after(() => Promise.all([a.close(), b.close()]))
    // Loaded at ready: the near-cache answers for it from memory, with or without a value.
    const cache = b.pancakes.get().store
    assert.deepEqual(cache.peek([], [flag.rolloutKey('user'), flag.rolloutKey('company')]), ['100', null])
    assert.deepEqual((await b.inject({ url: '/', headers: { 'x-user': 'u1' } })).json(), { active: true })
    await a.pancakes.run(() => flag.setRollout('user', 0))
    await eventually(async () => (await b.inject({ url: '/', headers: { 'x-user': 'u1' } })).json().active, false)
    await a.pancakes.run(() => flag.clearRollout('user'))
    await a.pancakes.run(() => flag.enable())
    await eventually(async () => (await b.inject({ url: '/', headers: { 'x-user': 'u1' } })).json().active, true)
    await a.pancakes.run(() => flag.setRollout('user', 0))
    await eventually(async () => (await b.pancakes.evaluate(flag, { user: 'u1' })).value, false)
  })

  test('with the cache off, a flag under rollout still costs one round trip per request', async (t) => {
    const client = await redis.connected()
    const flag = new Flag(uniqueName('trip'), false)
    const other = new Flag(uniqueName('trip_other'), false)
    const app = await buildApp([{ redis: client, cache: false, groupFuncs }], (app) => {
      app.get('/', async () => [await flag.isActive(), await other.isActive()])
    })
    t.after(() => app.close())
    await app.pancakes.run(async () => { await flag.setRollout('company', 100); await other.setRollout('user', 100) })
    const request = { url: '/', headers: { 'x-user': 'u', 'x-company': 'c' } }
    await app.inject(request) // the route learns what it checks
    let response
    // Counted on the connection the store reads on: its own, not the client it was given.
    const commands = await monitor.during(app.pancakes.get().store.source.connection, async () => { response = await app.inject(request) })
    assert.deepEqual(response.json(), [true, true])
    assert.equal(commands.length, 1, JSON.stringify(commands))
    for (const key of [flag.rolloutKey('company'), other.rolloutKey('user')]) assert.ok(commands[0].args.includes(key), key)
  })
})

describe('samples sticky by id', () => {
  test('an object id draws the same outcome every time, without a cookie; no id: the cookie as before', async (t) => {
    const odds = new Sample(uniqueName('sticky'), 50, { stickyBy: 'user' })
    const plain = new Sample(uniqueName('plain'), 50, 'pancake')
    assert.equal(plain.stickyBy, undefined)
    let draws = 0
    const app = await buildApp([{ groupFuncs, random: () => { draws++; return 0.2 } }], (app) => {
      app.get('/', async () => ({ active: await odds.isActive(), evaluation: await odds.evaluate() }))
    })
    t.after(() => app.close())
    for (const user of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
      const expected = bucket(odds.name, user) <= 50
      for (let i = 0; i < 2; i++) {
        const response = await app.inject({ url: '/', headers: { 'x-user': user } })
        assert.equal(response.json().active, expected, user)
        assert.deepEqual(response.json().evaluation, {
          value: expected, reason: 'sample', kind: 'sample', group: 'user', objectId: user, bucket: bucket(odds.name, user), percentage: 50
        })
        assert.equal(cookiesOf(response).pancake, undefined)
      }
      assert.equal((await app.pancakes.evaluate(odds, { user })).value, expected)
    }
    assert.equal(draws, 0)
    const anonymous = await app.inject({ url: '/' })
    assert.equal(anonymous.json().active, true) // 0.2 * 100 <= 50
    assert.equal(draws, 1)
    assert.ok(cookiesOf(anonymous).pancake)
  })

  test('stickyBy must name a group of the instance', async () => {
    assert.throws(() => new Sample(uniqueName('bad_sticky'), 5, { stickyBy: '' }), { code: 'FST_PANCAKE_INVALID_OPTION' })
    assert.throws(() => new Sample(uniqueName('bad_sticky'), 5, { stickyBy: 'a:b' }), { code: 'FST_PANCAKE_INVALID_OPTION' })
    new Sample(uniqueName('unknown_sticky'), 5, { stickyBy: 'team', instance: 'sticky_check' }) // eslint-disable-line no-new
    await assert.rejects(buildApp([{ name: 'sticky_check', groupFuncs }]), { code: 'FST_PANCAKE_INVALID_GROUP' })
  })
})
