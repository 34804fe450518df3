// The write routes: every change the CLI makes, closed until the app gives
// a write hook, cross-site writes refused, each change audited.
import assert from 'node:assert/strict'
import { beforeEach, test } from 'node:test'
import { Value } from '@sinclair/typebox/value'
import {
  ChangeResultSchema,
  Flag,
  HistorySchema,
  OverridesPageSchema,
  Sample,
  Switch,
  definitions,
  pancakeRoutes
} from '../dist/index.mjs'
import { buildApp } from './helpers/app.mjs'
import { redisForThisFile, startRedis } from './helpers/redis.mjs'

const redis = redisForThisFile()
let client
beforeEach(async () => {
  definitions.clear()
  await redis.flush()
  client ??= redis.client()
})

const groupFuncs = { user: (request) => request.headers['x-user'], team: () => undefined }
const WRITER = { authorization: 'Bearer writer', 'content-type': 'application/json' }
async function writers (request) {
  if (request.headers.authorization !== 'Bearer writer') throw Object.assign(new Error('no'), { statusCode: 401 })
}
const actor = (request) => `user-${request.headers['x-name'] ?? 'x'}`

async function appWith (routes, options = {}) {
  return await buildApp([{ redis: await redis.connected(), groupFuncs, ...options }], async (app) => {
    await app.register(pancakeRoutes, { prefix: '/pancakes', ...routes })
  })
}

const change = (app, body, headers = WRITER, url = '/pancakes/changes') =>
  app.inject({ method: 'POST', url, headers, payload: typeof body === 'string' ? body : JSON.stringify(body) })

test('every change the CLI makes, JSON in and out, each recorded with the actor from the route', async (t) => {
  const SW = new Switch('Lights', false)
  const FL = new Flag('Beta', false)
  const SA = new Sample('Odds', 10)
  const app = await appWith({ write: { onRequest: writers, actor }, overview: { onRequest: writers } })
  t.after(() => app.close())
  const steps = [
    [{ kind: 'switch', name: 'lights', action: 'enable' }, SW.key, '1'],
    [{ kind: 'switch', name: 'Lights', action: 'disable' }, SW.key, '0'],
    [{ kind: 'switch', name: 'Lights', action: 'clear' }, SW.key, null],
    [{ kind: 'flag', name: 'Beta', action: 'enable' }, FL.key, '1'],
    [{ kind: 'flag', name: 'Beta', action: 'disable' }, FL.key, '0'],
    [{ kind: 'flag', name: 'Beta', action: 'enable-group', group: 'user', objectId: '42' }, 'FLAG:pancake:k:user:BETA:42', '1'],
    [{ kind: 'flag', name: 'Beta', action: 'disable-group', group: 'user', objectId: '42' }, 'FLAG:pancake:k:user:BETA:42', '0'],
    [{ kind: 'flag', name: 'Beta', action: 'clear-group', group: 'user', objectId: '42' }, 'FLAG:pancake:k:user:BETA:42', null],
    [{ kind: 'flag', name: 'Beta', action: 'enable-group', group: 'user', objectId: '7' }, 'FLAG:pancake:k:user:BETA:7', '1'],
    [{ kind: 'flag', name: 'Beta', action: 'clear-all-group', group: 'user' }, 'FLAG:pancake:k:user:BETA:7', null],
    [{ kind: 'flag', name: 'Beta', action: 'rollout', group: 'team', value: 25 }, 'FLAG:pancake:r:team:BETA', '25'],
    [{ kind: 'flag', name: 'Beta', action: 'clear-rollout', group: 'team' }, 'FLAG:pancake:r:team:BETA', null],
    [{ kind: 'flag', name: 'Beta', action: 'clear' }, FL.key, null],
    [{ kind: 'sample', name: 'Odds', action: 'set', value: 33.5 }, SA.key, '33.5'],
    [{ kind: 'sample', name: 'Odds', action: 'clear' }, SA.key, null]
  ]
  for (const [body, key, value] of steps) {
    const response = await change(app, body, { ...WRITER, 'x-name': 'ann' })
    assert.equal(response.statusCode, 200, `${JSON.stringify(body)}: ${response.body}`)
    const result = response.json()
    assert.ok(Value.Check(ChangeResultSchema, result))
    assert.equal(result.actor, 'user-ann')
    assert.equal(result.name, body.kind === 'switch' ? 'Lights' : body.kind === 'flag' ? 'Beta' : 'Odds')
    assert.equal(await client.get(key), value, JSON.stringify(body))
  }
  const history = await app.inject({ url: '/pancakes/history?limit=100', headers: WRITER })
  assert.equal(history.statusCode, 200)
  assert.ok(Value.Check(HistorySchema, history.json()))
  const { entries } = history.json()
  assert.equal(entries.length, steps.length)
  assert.ok(entries.every((entry) => entry.actor === 'user-ann' && entry.source === 'route'))
  assert.deepEqual(entries.map((entry) => entry.after).reverse(), steps.map(([, , value]) => value).map((value, i) => steps[i][0].action === 'clear-all-group' ? null : value))
  // One definition's history.
  const lights = (await app.inject({ url: '/pancakes/history?name=LIGHTS', headers: WRITER })).json().entries
  assert.deepEqual(lights.map((entry) => entry.after), [null, '0', '1'])
})

test('closed by default: without a write hook every change is 403, public overview or not', async (t) => {
  const SW = new Switch('Closed', false)
  for (const routes of [{}, { overview: { public: true } }, { overview: { onRequest: writers } }]) {
    const app = await appWith(routes)
    const response = await change(app, { kind: 'switch', name: 'Closed', action: 'enable' })
    await app.close()
    assert.equal(response.statusCode, 403)
    assert.equal(response.json().code, 'FST_PANCAKE_WRITES_LOCKED')
  }
  assert.equal(await client.get(SW.key), '0')
  // `write: false` leaves the route out.
  const app = await appWith({ write: false })
  t.after(() => app.close())
  assert.equal((await change(app, { kind: 'switch', name: 'Closed', action: 'enable' })).statusCode, 404)
})

test('the write hook decides; the overview\'s hook does not open writes', async (t) => {
  const SW = new Switch('Guarded', false)
  const app = await appWith({ write: { preHandler: writers } })
  t.after(() => app.close())
  const refused = await change(app, { kind: 'switch', name: 'Guarded', action: 'enable' }, { 'content-type': 'application/json' })
  assert.equal(refused.statusCode, 401)
  assert.equal(await client.get(SW.key), '0')
  assert.equal((await change(app, { kind: 'switch', name: 'Guarded', action: 'enable' })).statusCode, 200)
  assert.equal(await client.get(SW.key), '1')
})

test('CSRF: a cross-origin form post, a text/plain fetch and a cross-site request are refused, changing nothing', async (t) => {
  const SW = new Switch('Csrf', false)
  const app = await appWith({ write: { onRequest: writers } })
  t.after(() => app.close())
  const body = { kind: 'switch', name: 'Csrf', action: 'enable' }
  const attempts = [
    // A form on another site, posting with the user's cookies.
    [{ ...WRITER, 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, 'kind=switch&name=Csrf&action=enable', 403],
    // The same without Fetch Metadata (an older browser): Origin decides.
    [{ ...WRITER, 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' }, 'kind=switch&name=Csrf&action=enable', 403],
    // A no-CORS fetch may send text/plain with a JSON body.
    [{ ...WRITER, 'content-type': 'text/plain', 'sec-fetch-site': 'same-origin' }, JSON.stringify(body), 415],
    [{ ...WRITER, 'content-type': 'text/plain;charset=UTF-8' }, JSON.stringify(body), 415],
    // JSON from a sibling site.
    [{ ...WRITER, 'sec-fetch-site': 'same-site' }, body, 403],
    [{ ...WRITER, origin: 'null' }, body, 403],
    [{ ...WRITER, origin: 'http://localhost:80.evil.example' }, body, 403]
  ]
  for (const [headers, payload, status] of attempts) {
    const response = await change(app, payload, headers)
    assert.equal(response.statusCode, status, JSON.stringify(headers))
  }
  assert.equal(await client.get(SW.key), '0')
  assert.equal(await client.exists('PANCAKE:pancake:audit'), 0)
  // The same origin (by Origin or by Fetch Metadata), and a client that is
  // no browser, may write.
  for (const headers of [{ ...WRITER, origin: 'http://localhost:80', host: 'localhost:80' }, { ...WRITER, 'sec-fetch-site': 'same-origin' }, WRITER]) {
    assert.equal((await change(app, body, headers)).statusCode, 200, JSON.stringify(headers))
  }
})

test('bad changes: 400 for a malformed body or unknown group, 404 for an unknown definition or instance', async (t) => {
  const FL = new Flag('Known', false)
  const app = await appWith({ write: { onRequest: writers } })
  t.after(() => app.close())
  for (const [body, status, code] of [
    [{ kind: 'flag', name: 'Known', action: 'explode' }, 400],
    [{ kind: 'sample', name: 'Known', action: 'set', value: 101 }, 400],
    [{ kind: 'flag', name: 'Known', action: 'set', value: 3 }, 400, 'FST_PANCAKE_BAD_CHANGE'],
    [{ kind: 'flag', name: 'Known', action: 'enable-group', group: 'user' }, 400, 'FST_PANCAKE_BAD_CHANGE'],
    [{ kind: 'flag', name: 'Known', action: 'clear-all-group' }, 400, 'FST_PANCAKE_BAD_CHANGE'],
    [{ kind: 'flag', name: 'Known', action: 'rollout', group: 'user' }, 400, 'FST_PANCAKE_BAD_CHANGE'],
    [{ kind: 'switch', name: 'Known', action: 'rollout', group: 'user', value: 5 }, 404],
    ['{not json', 400],
    [{ kind: 'flag', name: 'Known', action: 'enable-group', group: 'nope', objectId: '1' }, 400, 'FST_PANCAKE_UNKNOWN_GROUP'],
    [{ kind: 'flag', name: 'Unknown', action: 'enable' }, 404, 'FST_PANCAKE_DEFINITION_NOT_FOUND'],
    [{ kind: 'switch', name: 'Known', action: 'enable' }, 404, 'FST_PANCAKE_DEFINITION_NOT_FOUND']
  ]) {
    const response = await change(app, body)
    assert.equal(response.statusCode, status, JSON.stringify(body))
    if (code !== undefined) assert.equal(response.json().code, code)
  }
  assert.equal((await change(app, { kind: 'flag', name: 'Known', action: 'enable' }, WRITER, '/pancakes/changes/other')).statusCode, 404)
  assert.equal(await client.get(FL.key), '0')
})

test('a write during a Redis outage answers 503, and nothing is applied', async (t) => {
  const server = await startRedis()
  const SW = new Switch('Outage', false)
  const app = await buildApp([{ redis: server.url, writeTimeout: 300 }], async (app) => {
    await app.register(pancakeRoutes, { write: { onRequest: writers } })
  })
  t.after(() => app.close())
  const admin = await server.connected()
  assert.equal(await admin.get(SW.key), '0')
  server.process.kill('SIGSTOP')
  t.after(() => server.stop())
  try {
    const response = await change(app, { kind: 'switch', name: 'Outage', action: 'enable' }, WRITER, '/changes')
    assert.equal(response.statusCode, 503)
    assert.equal(response.json().code, 'FST_PANCAKE_STORE')
  } finally {
    server.process.kill('SIGCONT')
  }
  // The write was never sent: a client without offline queue or one that
  // timed out; either way what Redis holds and the trail agree.
  const [entry] = await app.pancakes.get().history({ limit: 1 })
  assert.equal(await admin.get(SW.key), entry?.after ?? '0')
})

test('overrides: every object with an override, page by page with SSCAN', async (t) => {
  const FL = new Flag('Many', false)
  const app = await appWith({ overview: { onRequest: writers } })
  t.after(() => app.close())
  const pipeline = client.pipeline()
  for (let i = 0; i < 250; i++) {
    pipeline.set(`FLAG:pancake:k:user:MANY:u${i}`, i % 2 === 0 ? '1' : '0')
    pipeline.sadd('FLAG:pancake:t:user:MANY', `FLAG:pancake:k:user:MANY:u${i}`)
  }
  await pipeline.exec()
  const seen = new Map()
  let cursor = '0'
  let pages = 0
  do {
    const response = await app.inject({ url: `/pancakes/overrides?flag=many&group=user&count=50&cursor=${cursor}`, headers: WRITER })
    assert.equal(response.statusCode, 200, response.body)
    const page = response.json()
    assert.ok(Value.Check(OverridesPageSchema, page))
    for (const { objectId, value } of page.overrides) seen.set(objectId, value)
    cursor = page.cursor
    pages++
  } while (cursor !== '0')
  assert.equal(seen.size, 250)
  assert.ok(pages > 1)
  assert.equal(seen.get('u4'), true)
  assert.equal(seen.get('u5'), false)
  assert.equal(FL.name, 'Many')
  const unknown = await app.inject({ url: '/pancakes/overrides?flag=Many&group=nope', headers: WRITER })
  assert.equal(unknown.statusCode, 400)
  // Behind the overview's hook.
  assert.equal((await app.inject({ url: '/pancakes/overrides?flag=Many&group=user' })).statusCode, 401)
  assert.equal((await app.inject({ url: '/pancakes/history' })).statusCode, 401)
})

test('a bad write option fails ready() naming it', async () => {
  await assert.rejects(appWith({ write: { actor: 'bob' } }), /write\.actor/)
  await assert.rejects(appWith({ write: { public: true } }), /write\.public/)
  await assert.rejects(appWith({ write: { onRequest: 'x' } }), /write\.onRequest/)
})
