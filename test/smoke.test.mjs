import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Flag, Sample, Switch } from '../dist/index.mjs'
import { buildApp, cookiesOf } from './helpers/app.mjs'
import { startRedis } from './helpers/redis.mjs'

let redis
before(async () => { redis = await startRedis() })
after(async () => { await redis.stop() })

test('smoke', async () => {
  const client = redis.client()
  const S = new Switch('smoke_switch', true)
  const F = new Flag('smoke_flag', false)
  const P = new Sample('smoke_sample', 50)
  const app = await buildApp([{ redis: client, groupFuncs: { user: (req) => req.headers['x-user'] } }], (app) => {
    app.get('/', async () => ({ s: await S.isActive(), f: await F.isActive(), p: await P.isActive() }))
  })
  let res = await app.inject('/')
  assert.deepEqual(res.json(), { s: true, f: false, p: res.json().p })
  assert.equal(await client.get('SWITCH:pancake:SMOKE_SWITCH'), '1')
  await app.pancakes.run(() => F.enableGroup('user', 'u1'))
  res = await app.inject({ url: '/', headers: { 'x-user': 'u1' }, cookies: cookiesOf(res) })
  assert.equal(res.json().f, true)
  assert.deepEqual(await client.smembers('FLAG:pancake:t:user:SMOKE_FLAG'), ['FLAG:pancake:k:user:SMOKE_FLAG:u1'])
  await app.close()
})
