// The audit trail: every write through the library appends one entry, in
// the same atomic step, with who made it and the value before and after.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Flag, Sample, Switch, auditStream } from '../dist/index.mjs'
import { buildApp, uniqueName } from './helpers/app.mjs'
import { subscribers } from './helpers/wait.mjs'
import { redisForThisFile } from './helpers/redis.mjs'
import { build, storeKinds } from './helpers/stores.mjs'

const redis = redisForThisFile()
const groupFuncs = { user: (request) => request.headers['x-user'] }

/** The entries as the tests compare them: without id and time. */
const plain = (entries) => entries.map(({ id, time, ...rest }) => rest)

for (const [kind, storeOptions] of Object.entries(storeKinds(redis))) {
  describe(`${kind} store`, () => {
    test('every write appends one entry: who, from where, what, before and after', async (t) => {
      const app = await build(storeOptions, { groupFuncs })
      t.after(() => app.close())
      const SW = new Switch(uniqueName('AUDIT_SW'), false)
      const FL = new Flag(uniqueName('AUDIT_FL'), false)
      const SA = new Sample(uniqueName('AUDIT_SA'), 10)
      const pancake = app.pancakes.get()
      const startedAt = Date.now()
      await app.pancakes.run(async () => {
        await SW.enable()
        await SW.disable()
        await SW.clear()
        await FL.enableGroup('user', 42)
        await FL.disableGroup('user', 42)
        await FL.clearGroup('user', 42)
        await FL.enableGroup('user', 'a')
        await FL.enableGroup('user', 'b')
        await FL.clearAllGroup('user')
        await SA.set(55)
        await SA.clear()
        await FL.setRollout('user', 30)
        await FL.clearRollout('user')
      }, { actor: 'alice' })
      await app.pancakes.run(() => FL.enable())

      const entries = await pancake.history({ limit: 100 })
      const who = { actor: 'alice', source: 'api' }
      const override = { ...who, kind: 'flag', name: FL.name, target: 'override', group: 'user' }
      assert.deepEqual(plain(entries).reverse(), [
        { ...who, kind: 'switch', name: SW.name, target: 'value', before: null, after: '1' },
        { ...who, kind: 'switch', name: SW.name, target: 'value', before: '1', after: '0' },
        { ...who, kind: 'switch', name: SW.name, target: 'value', before: '0', after: null },
        { ...override, objectId: '42', before: null, after: '1' },
        { ...override, objectId: '42', before: '1', after: '0' },
        { ...override, objectId: '42', before: '0', after: null },
        { ...override, objectId: 'a', before: null, after: '1' },
        { ...override, objectId: 'b', before: null, after: '1' },
        { ...who, kind: 'flag', name: FL.name, target: 'overrides', group: 'user', before: null, after: null, count: 2 },
        { ...who, kind: 'sample', name: SA.name, target: 'value', before: null, after: '55' },
        { ...who, kind: 'sample', name: SA.name, target: 'value', before: '55', after: null },
        { ...who, kind: 'flag', name: FL.name, target: 'rollout', group: 'user', before: null, after: '30' },
        { ...who, kind: 'flag', name: FL.name, target: 'rollout', group: 'user', before: '30', after: null },
        // Without an actor: the app's own code.
        { actor: 'app', source: 'api', kind: 'flag', name: FL.name, target: 'value', before: null, after: '1' }
      ])
      // Ids ascend with time, newest first.
      for (const entry of entries) assert.ok(entry.time >= startedAt - 1000 && entry.time <= Date.now() + 1000)
      assert.deepEqual(entries.map((entry) => entry.id), [...entries.map((entry) => entry.id)].sort((a, b) => {
        const [ta, sa] = a.split('-').map(Number)
        const [tb, sb] = b.split('-').map(Number)
        return tb - ta || sb - sa
      }))

      // One definition's entries, by name in any case; a limit.
      assert.deepEqual(plain(await pancake.history({ name: SW.name.toLowerCase() })).map((entry) => entry.after), [null, '0', '1'])
      assert.equal((await pancake.history({ limit: 2 })).length, 2)
    })

    test('audit.maxLength caps the trail', async (t) => {
      const app = await build(storeOptions, { audit: { maxLength: 5 } })
      t.after(() => app.close())
      const SA = new Sample(uniqueName('AUDIT_CAP'), 10)
      await app.pancakes.run(async () => { for (let i = 0; i < 300; i++) await SA.set(i % 100) })
      const entries = await app.pancakes.get().history({ limit: 1000 })
      // Redis trims whole nodes of the stream (MAXLEN ~): about 5, never 300.
      assert.ok(entries.length >= 5 && entries.length <= 5 + 100, `${entries.length} entries`)
      assert.equal(entries[0].after, '99')
    })
  })
}

test('a route handler\'s write is audited as the app\'s; writes in a request scope too', async (t) => {
  const SW = new Switch(uniqueName('AUDIT_REQ'), false)
  const app = await buildApp([{ redis: await redis.connected() }], (app) => {
    app.post('/on', async () => { await SW.enable(); return 'ok' })
  })
  t.after(() => app.close())
  await app.inject({ method: 'POST', url: '/on' })
  const [entry] = await app.pancakes.get().history({ limit: 1 })
  assert.equal(entry.name, SW.name)
  assert.equal(entry.actor, 'app')
  assert.equal(entry.source, 'api')
})

test('the trail is a Redis stream under PANCAKE:<instance>:audit, a prefix flask-pancake never reads', async (t) => {
  const client = await redis.connected()
  const app = await buildApp([{ redis: client, name: 'audited' }])
  t.after(() => app.close())
  const SW = new Switch(uniqueName('AUDIT_KEY'), false, 'audited')
  await app.pancakes.run(() => SW.enable(), { actor: 'bob' })
  assert.equal(auditStream('audited'), 'PANCAKE:audited:audit')
  assert.equal(await client.type('PANCAKE:audited:audit'), 'stream')
  const [[, fields]] = await client.xrange('PANCAKE:audited:audit', '-', '+')
  assert.deepEqual(fields, ['actor', 'bob', 'source', 'api', 'kind', 'switch', 'name', SW.name, 'target', 'value', 'after', '1'])
})

test('no change without its entry: a write whose entry cannot be appended changes nothing', async (t) => {
  const client = await redis.connected()
  const app = await buildApp([{ redis: client, name: 'broken' }])
  t.after(() => app.close())
  const SW = new Switch(uniqueName('AUDIT_ATOMIC'), false, 'broken')
  // Someone made the stream key a string: XADD would fail.
  await client.set('PANCAKE:broken:audit', 'not a stream')
  await app.pancakes.run(async () => {
    await assert.rejects(SW.enable(), /audit stream/)
    await assert.rejects(SW.clear(), /audit stream/)
  })
  // Never enabled: the switch was not written at all.
  assert.equal(await client.get(SW.key), null)
  assert.equal(await client.get('PANCAKE:broken:audit'), 'not a stream')
})

test('no entry without its change: a write refused by Redis appends nothing', async (t) => {
  const client = await redis.connected()
  const app = await buildApp([{ redis: client, name: 'typed', groupFuncs }])
  t.after(() => app.close())
  const FL = new Flag(uniqueName('AUDIT_TYPED'), false, 'typed')
  // The tracking set is a string: SADD fails before anything is written.
  await client.set(`FLAG:typed:t:user:${FL.name.toUpperCase()}`, 'oops')
  await app.pancakes.run(async () => {
    await assert.rejects(FL.enableGroup('user', 7))
    await assert.rejects(FL.clearAllGroup('user'))
  })
  assert.equal(await client.exists('PANCAKE:typed:audit'), 0)
  assert.equal(await client.exists(`FLAG:typed:k:user:${FL.name.toUpperCase()}:7`), 0)
})

test('run() refuses an empty actor', async (t) => {
  const app = await buildApp([{}])
  t.after(() => app.close())
  assert.throws(() => app.pancakes.run(() => {}, { actor: '' }), (err) => err.code === 'FST_PANCAKE_INVALID_OPTION' && /actor/.test(err.message))
})

test('a bad audit option fails ready() naming it', async () => {
  await assert.rejects(buildApp([{ audit: { maxLength: 0 } }]), /audit\.maxLength/)
  await assert.rejects(buildApp([{ audit: { size: 3 } }]), /audit\.size/)
  await assert.rejects(buildApp([{ audit: 5 }]), /"audit"/)
})

test('a change made outside the library is recorded once, as from outside, however many apps see it', async (t) => {
  const S = new Switch(uniqueName('AUDIT_OUTSIDE'), false)
  const a = await buildApp([{ redis: redis.client(), staleness: 50 }])
  const b = await buildApp([{ redis: redis.client(), staleness: 50 }])
  t.after(() => Promise.all([a.close(), b.close()]))
  await subscribers(redis, 2)
  const seen = (app) => new Promise((resolve) => {
    app.pancakes.on('change', (change) => { if (change.name === S.name && change.source === 'outside') resolve(change) })
  })
  // Each app's attempt to record it, finished.
  const recorded = (app) => new Promise((resolve) => {
    const store = app.pancakes.get().store
    const append = store.appendAudit.bind(store)
    store.appendAudit = (...args) => append(...args).finally(resolve)
  })
  const both = Promise.all([seen(a), seen(b), recorded(a), recorded(b)])
  await a.pancakes.run(() => S.disable(), { actor: 'ann' })
  const client = redis.client()
  await client.set(S.key, '1') // as redis-cli or flask-pancake would
  await both
  const outside = (await a.pancakes.get().history({ name: S.name })).filter((entry) => entry.source === 'outside')
  assert.equal(outside.length, 1)
  const [entry] = outside
  assert.deepEqual(plain([entry]), [{ actor: 'outside', source: 'outside', kind: 'switch', name: S.name, target: 'value', before: null, after: '1' }])
  // The library's own write is never taken for one from outside.
  assert.deepEqual((await a.pancakes.get().history({ name: S.name })).map((entry) => entry.source), ['outside', 'api'])
})
