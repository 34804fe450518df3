// Redis Cluster: flask-pancake's key layout spreads one flag's keys over
// many hash slots. Everything must work without CROSSSLOT errors, and
// changes must reach every instance across the cluster.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import calculateSlot from 'cluster-key-slot'
import { Flag, Sample, Switch } from '../dist/index.mjs'
import { buildApp } from './helpers/app.mjs'
import { startCluster } from './helpers/cluster.mjs'
import { eventually } from './helpers/wait.mjs'

let cluster
before(async () => { cluster = await startCluster() })
after(async () => { await cluster.stop() })

const SW = new Switch('CLUSTER_SWITCH', false)
const FL = new Flag('CLUSTER_FLAG', false)
const SA = new Sample('CLUSTER_SAMPLE', 42)
const groupFuncs = { user: (request) => request.headers['x-user'], team: (request) => request.headers['x-team'] }

for (const cache of [true, false]) {
  test(`every operation works on a 3-master cluster (cache ${cache ? 'on' : 'off'})`, async (t) => {
    const raw = cluster.client()
    await Promise.all(cluster.nodes.map(async () => {}))
    for (const node of raw.nodes('master')) await node.flushdb()
    const app = await buildApp([{ redis: cluster.client(), cache, groupFuncs }], (app) => {
      app.get('/', async () => ({ s: await SW.isActive(), f: await FL.isActive(), p: await SA.isActive() }))
    })
    t.after(() => app.close())

    const users = ['1', '2', '3', '4', '5', '6', '7', '8']
    const objectKeys = users.map((u) => `FLAG:pancake:k:user:CLUSTER_FLAG:${u}`)
    // The point of the test: the keys of one check live in several slots.
    assert.ok(new Set([FL.key, ...objectKeys].map(calculateSlot)).size > 3)

    const first = await app.inject({ url: '/', headers: { 'x-user': '3', 'x-team': 'a' } })
    assert.equal(first.statusCode, 200)
    assert.equal(first.json().s, false)
    assert.equal(await raw.get(SW.key), '0')
    assert.equal(await raw.get(SA.key), '42')

    await app.pancakes.run(async () => {
      await SW.enable()
      for (const user of users) await FL.enableGroup('user', user)
      await FL.disableGroup('team', 'a')
      await SA.set(13)
    })
    assert.equal(await raw.get(SW.key), '1')
    assert.deepEqual((await raw.smembers('FLAG:pancake:t:user:CLUSTER_FLAG')).sort(), objectKeys.sort())
    assert.equal(await raw.get('FLAG:pancake:k:team:CLUSTER_FLAG:a'), '0')
    assert.equal(await raw.get(SA.key), '13')

    const check = async (user, team) => (await app.inject({ url: '/', headers: { 'x-user': user, 'x-team': team } })).json()
    await eventually(async () => (await check('3', 'a')).f, true) // user wins over team
    await eventually(async () => (await check('9', 'a')).f, false) // team override
    await eventually(async () => (await check('9', 'b')).f, false) // global

    await app.pancakes.run(async () => {
      assert.equal(await FL.isActiveGroup('user', '5'), true)
      await FL.clearGroup('user', '5')
      assert.equal(await FL.isActiveGroup('user', '5'), null)
      await FL.clearAllGroup('user')
      assert.equal(await FL.isActiveGroup('user', '1'), null)
    })
    // Rollouts: their keys lie in slots of their own too.
    await app.pancakes.run(() => FL.setRollout('team', 100))
    assert.equal(await raw.get('FLAG:pancake:r:team:CLUSTER_FLAG'), '100')
    await eventually(async () => (await check('9', 'b')).f, true)
    assert.equal((await app.pancakes.evaluate(FL, { team: 'b' })).reason, 'rollout')
    await app.pancakes.run(() => FL.clearRollout('team'))
    assert.equal(await raw.exists('FLAG:pancake:r:team:CLUSTER_FLAG'), 0)
    for (const key of objectKeys) assert.equal(await raw.exists(key), 0)
    assert.equal(await raw.exists('FLAG:pancake:t:user:CLUSTER_FLAG'), 0)
    await eventually(async () => (await check('3', 'a')).f, false)
    await eventually(async () => (await check('3', 'b')).s, true)
  })
}

test('a write on one instance reaches another through the cluster', async (t) => {
  const a = await buildApp([{ redis: cluster.client(), groupFuncs, staleness: 60_000 }])
  const b = await buildApp([{ redis: cluster.client(), groupFuncs, staleness: 60_000 }], (app) => {
    app.get('/', async () => ({ s: await SW.isActive(), f: await FL.isActive() }))
  })
  t.after(() => Promise.all([a.close(), b.close()]))
  const seen = async (field) => (await b.inject({ url: '/', headers: { 'x-user': '77' } })).json()[field]
  await a.pancakes.run(() => SW.disable())
  await eventually(() => seen('s'), false)
  await a.pancakes.run(() => SW.enable())
  await eventually(() => seen('s'), true)
  await a.pancakes.run(() => FL.enableGroup('user', '77'))
  await eventually(() => seen('f'), true)
  await a.pancakes.run(() => FL.clearAllGroup('user'))
  await eventually(() => seen('f'), false)
  await a.pancakes.run(() => FL.setRollout('user', 100))
  await eventually(() => seen('f'), true)
  await a.pancakes.run(() => FL.clearRollout('user'))
  await eventually(() => seen('f'), false)
})

test('the audit trail on a cluster: each entry in a shard of the written key\'s slot, written in one script with it; history merges the shards', async (t) => {
  const raw = cluster.client()
  await raw.ping() // connected: the masters are known
  for (const node of raw.nodes('master')) await node.flushdb()
  const app = await buildApp([{ redis: cluster.client(), groupFuncs }])
  t.after(() => app.close())
  await app.pancakes.run(async () => {
    await SW.enable()
    await FL.enableGroup('user', 'u1')
    await FL.enableGroup('user', 'u2')
    await SA.set(7)
    await FL.clearAllGroup('user')
  }, { actor: 'ops' })

  const shards = await raw.smembers('PANCAKE:pancake:audit:shards')
  const written = [SW.key, 'FLAG:pancake:k:user:CLUSTER_FLAG:u1', 'FLAG:pancake:k:user:CLUSTER_FLAG:u2', SA.key, 'FLAG:pancake:t:user:CLUSTER_FLAG']
  // Each written key has a shard in its own slot, holding its entry.
  for (const key of written) {
    const shard = shards.find((name) => calculateSlot(name) === calculateSlot(key))
    assert.ok(shard, `a shard in the slot of ${key}`)
    assert.equal(await raw.type(shard), 'stream')
  }
  const history = await app.pancakes.get().history()
  assert.deepEqual(history.map(({ kind, target, objectId, after, count }) => [kind, target, objectId, after, count]).reverse(), [
    ['switch', 'value', undefined, '1', undefined],
    ['flag', 'override', 'u1', '1', undefined],
    ['flag', 'override', 'u2', '1', undefined],
    ['sample', 'value', undefined, '7', undefined],
    ['flag', 'overrides', undefined, null, 2]
  ])
  assert.ok(history.every((entry) => entry.actor === 'ops'))

  // A shard that is not a stream refuses the write of its slot: nothing changes.
  const shard = shards.find((name) => calculateSlot(name) === calculateSlot(SW.key))
  await raw.del(shard)
  await raw.set(shard, 'broken')
  await app.pancakes.run(async () => { await assert.rejects(SW.disable(), /audit stream/) })
  assert.equal(await raw.get(SW.key), '1')
})
