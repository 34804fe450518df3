// The HTTP routes: overview and status, their shapes, content negotiation,
// protection, and agreement with the request's own checks.
import assert from 'node:assert/strict'
import { beforeEach, describe, test } from 'node:test'
import cookie from '@fastify/cookie'
import { Value } from '@sinclair/typebox/value'
import Fastify from 'fastify'
import pancake, {
  ErrorResponseSchema,
  Flag,
  GroupFunc,
  OverviewSchema,
  Sample,
  StatusSchema,
  Switch,
  definitions,
  pancakeOverview,
  pancakeRoutes,
  pancakeStatus
} from '../dist/index.mjs'
import { SECRET, buildApp, captureLogs, cookiesOf } from './helpers/app.mjs'
import { redisForThisFile } from './helpers/redis.mjs'

const redis = redisForThisFile()
beforeEach(async () => {
  definitions.clear()
  await redis.flush()
})

// Definitions register themselves when made; this only gives the
// statement that makes them a use.
const define = (...made) => made

const AUTHORIZED = { authorization: 'Bearer sesame' }

/** An authorization hook as an application would write it: throw with a status code. */
async function requireToken (request) {
  if (request.headers.authorization !== AUTHORIZED.authorization) {
    throw Object.assign(new Error('Missing or wrong credentials'), { statusCode: 401 })
  }
}

class IsAdmin extends GroupFunc {
  getObjectId (request) { return request.headers['x-admin'] === '1' ? 'yes' : 'no' }
  getCandidateIds () { return ['yes', 'no'] }
}

// flask-pancake's view test data (tests/test_views.py, sample_data and
// sample_data_groups): three flags, two samples, three switches, groups
// `user` (no candidates) and `admin` (candidates yes/no).
function flaskDefinitions () {
  return {
    flag1: new Flag('Flag1', false),
    flag2: new Flag('Flag2', true),
    flag3: new Flag('Flag3', false),
    sample1: new Sample('Sample1', 12),
    sample2: new Sample('Sample2', 48),
    switch1: new Switch('Switch1', false),
    switch2: new Switch('Switch2', true),
    switch3: new Switch('Switch3', false)
  }
}

const FLASK_GROUPS = { user: (request) => request.headers['x-user'], admin: IsAdmin }

async function seedFlaskData (app, d) {
  await app.pancakes.run(async () => {
    await d.flag3.enable()
    await d.sample2.set(24)
    await d.switch3.enable()
    await d.flag1.enableGroup('user', 'uid1')
    await d.flag1.disableGroup('admin', 'yes')
    await d.flag2.enableGroup('admin', 'no')
  })
}

const FLASK_OVERVIEW = {
  name: 'pancake',
  group_ids: ['user', 'admin'],
  flags: [
    { name: 'Flag1', default: false, is_active: false, groups: { user: {}, admin: { yes: false, no: null } }, rollouts: {} },
    { name: 'Flag2', default: true, is_active: true, groups: { user: {}, admin: { yes: null, no: true } }, rollouts: {} },
    { name: 'Flag3', default: false, is_active: true, groups: { user: {}, admin: { yes: null, no: null } }, rollouts: {} }
  ],
  samples: [
    { name: 'Sample1', default: 12, value: 12 },
    { name: 'Sample2', default: 48, value: 24 }
  ],
  switches: [
    { name: 'Switch1', default: false, is_active: false },
    { name: 'Switch2', default: true, is_active: true },
    { name: 'Switch3', default: false, is_active: true }
  ]
}

// With every draw at 18: Sample1 (12 %) is out, Sample2 (24 %) is in.
const FLASK_STATUS = {
  flags: [
    { name: 'Flag1', is_active: false },
    { name: 'Flag2', is_active: true },
    { name: 'Flag3', is_active: true }
  ],
  samples: [
    { name: 'Sample1', is_active: false },
    { name: 'Sample2', is_active: true }
  ],
  switches: [
    { name: 'Switch1', is_active: false },
    { name: 'Switch2', is_active: true },
    { name: 'Switch3', is_active: true }
  ]
}

async function flaskApp (core = {}, routes = { overview: { onRequest: requireToken } }, fastifyOptions = {}) {
  const d = flaskDefinitions()
  const app = await buildApp([{ redis: redis.client(), groupFuncs: FLASK_GROUPS, random: () => 0.18, ...core }], async (app) => {
    await app.register(pancakeRoutes, { prefix: '/pancakes', ...routes })
  }, fastifyOptions)
  await seedFlaskData(app, d)
  return { app, d }
}

describe('overview', () => {
  for (const [label, headers] of [['no Accept', {}], ['Accept: application/json', { accept: 'application/json' }], ['Accept: */*', { accept: '*/*' }]]) {
    test(`flask-pancake's example, exactly, as JSON with ${label}`, async () => {
      const { app } = await flaskApp()
      const response = await app.inject({ url: '/pancakes/overview', headers: { ...AUTHORIZED, ...headers } })
      assert.equal(response.statusCode, 200)
      assert.match(response.headers['content-type'], /^application\/json/)
      assert.deepEqual(response.json(), FLASK_OVERVIEW)
      // Keys in flask-pancake's order too, for front ends that print them.
      assert.ok(response.body.startsWith('{"name":"pancake","group_ids":["user","admin"],"flags":[{"name":"Flag1","default":false,"is_active":false,"groups":'))
      assert.equal(response.headers['cache-control'], 'private, no-store')
      assert.match(response.headers.vary, /Accept/)
      await app.close()
    })
  }

  test('Vary keeps what other plugins put there', async () => {
    const app = await buildApp([{ redis: false }], async (app) => {
      app.addHook('onRequest', async (request, reply) => { reply.header('vary', 'Origin') })
      await app.register(pancakeRoutes, { overview: { public: true } })
    })
    assert.equal((await app.inject('/overview')).headers.vary, 'Origin, Accept')
    await app.close()
  })

  test("flask-pancake's example on the memory store", async () => {
    const d = flaskDefinitions()
    const app = await buildApp([{ redis: false, groupFuncs: FLASK_GROUPS }], async (app) => {
      await app.register(pancakeRoutes, { prefix: '/pancakes', overview: { onRequest: requireToken } })
    })
    await seedFlaskData(app, d)
    const response = await app.inject({ url: '/pancakes/overview', headers: AUTHORIZED })
    assert.deepEqual(response.json(), FLASK_OVERVIEW)
    await app.close()
  })

  test('the default instance by name, and a named instance with its own definitions', async () => {
    flaskDefinitions()
    define(
      new Switch('OtherSwitch', true, 'other'),
      new Sample('OtherSample', 7.5, 'other')
    )
    const other = new Flag('OtherFlag', false, 'other')
    const app = await buildApp([
      { redis: redis.client(), groupFuncs: FLASK_GROUPS },
      { name: 'other', redis: redis.client(), groupFuncs: { team: { getObjectId: () => 't1', getCandidateIds: () => ['t1', 't2', 't1'] } } }
    ], async (app) => {
      await app.register(pancakeRoutes, { prefix: '/pancakes', overview: { onRequest: requireToken } })
    })
    await app.pancakes.run(() => other.enableGroup('team', 't2'))

    const named = await app.inject({ url: '/pancakes/overview/pancake', headers: AUTHORIZED })
    assert.equal(named.json().name, 'pancake')
    assert.deepEqual(named.json().flags.map((flag) => flag.name), ['Flag1', 'Flag2', 'Flag3'])

    const response = await app.inject({ url: '/pancakes/overview/other', headers: AUTHORIZED })
    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), {
      name: 'other',
      group_ids: ['team'],
      flags: [{ name: 'OtherFlag', default: false, is_active: false, groups: { team: { t1: null, t2: true } }, rollouts: {} }],
      samples: [{ name: 'OtherSample', default: 7.5, value: 7.5 }],
      switches: [{ name: 'OtherSwitch', default: true, is_active: true }]
    })
    await app.close()
  })

  test('an instance without definitions or groups', async () => {
    const app = await buildApp([{ redis: redis.client() }], async (app) => {
      await app.register(pancakeRoutes, { overview: { public: true } })
    })
    const response = await app.inject('/overview')
    assert.deepEqual(response.json(), { name: 'pancake', group_ids: [], flags: [], samples: [], switches: [] })
    await app.close()
  })

  test('definitions are listed by name, not in definition order', async () => {
    define(
      new Switch('b', false),
      new Switch('C', false),
      new Switch('a', false),
      new Switch('B', false)
    )
    const app = await buildApp([{ redis: false }], async (app) => {
      await app.register(pancakeRoutes, { overview: { public: true } })
    })
    const response = await app.inject('/overview')
    assert.deepEqual(response.json().switches.map((entry) => entry.name), ['B', 'C', 'a', 'b'])
    await app.close()
  })

  test('pancakeOverview() gives the same data outside a request', async () => {
    const { app } = await flaskApp()
    const data = await app.pancakes.run(() => pancakeOverview(app.pancakes.get()))
    assert.deepEqual(JSON.parse(JSON.stringify(data)), FLASK_OVERVIEW)
    await app.close()
  })

  test('reading the overview writes nothing but the defaults a first read stores', async () => {
    for (const cache of [true, false]) {
      await redis.flush()
      definitions.clear()
      const d = flaskDefinitions()
      const client = await redis.connected()
      const app = await buildApp([{ redis: client, cache, groupFuncs: FLASK_GROUPS }], async (app) => {
        await app.register(pancakeRoutes, { overview: { public: true } })
      })
      // The candidates of every group are read for every flag, and none has
      // an override: no object key and no tracking set may appear.
      for (let i = 0; i < 2; i++) {
        const response = await app.inject('/overview')
        assert.equal(response.statusCode, 200)
      }
      const html = await app.inject({ url: '/overview', headers: { accept: 'text/html' } })
      assert.equal(html.statusCode, 200)
      const defaults = Object.values(d).map((definition) => definition.key).sort()
      assert.deepEqual((await client.keys('*')).sort(), defaults, `cache: ${cache}`)
      assert.equal(await client.get('SAMPLE:pancake:SAMPLE2'), '48')
      assert.equal(await client.get('FLAG:pancake:FLAG2'), '1')
      await app.close()
    }
  })

  describe('content negotiation', () => {
    const cases = [
      [undefined, 'json'],
      ['', 'json'],
      ['*/*', 'json'],
      ['application/json', 'json'],
      ['application/*', 'json'],
      ['text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7', 'html'],
      ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'html'],
      ['application/xml,application/xhtml+xml,text/html;q=0.9,text/plain;q=0.8,image/png,*/*;q=0.5', 'html'],
      ['text/html', 'html'],
      ['TEXT/HTML', 'html'],
      ['text/*', 'html'],
      ['application/xhtml+xml', 'html'],
      ['text/html;q=0.5, application/json', 'json'],
      ['application/json;q=0.5, text/html', 'html'],
      ['text/html, application/json', 'json'],
      ['text/html;q=0, */*', 'json'],
      ['text/html;q=0', 'json'],
      ['text/html;q=bogus', 'json'],
      ['text/html;level=1;q=0.7, */*;q=0.5', 'html'],
      ['text/html;q=0.3, application/json;q=0.5, text/html;q=0.8', 'html'],
      ['garbage', 'json'],
      ['*/html', 'json']
    ]
    for (const [accept, expected] of cases) {
      test(`Accept: ${JSON.stringify(accept)} → ${expected}`, async () => {
        const { app } = await flaskApp()
        const headers = accept === undefined ? AUTHORIZED : { ...AUTHORIZED, accept }
        const response = await app.inject({ url: '/pancakes/overview', headers })
        assert.equal(response.statusCode, 200)
        if (expected === 'json') {
          assert.match(response.headers['content-type'], /^application\/json/)
          assert.deepEqual(response.json(), FLASK_OVERVIEW)
        } else {
          assert.equal(response.headers['content-type'], 'text/html; charset=utf-8')
          assert.match(response.body, /^<!doctype html>/)
        }
        await app.close()
      })
    }
  })

  test('the HTML page shows every definition and override in tables', async () => {
    const { app } = await flaskApp()
    const response = await app.inject({ url: '/pancakes/overview', headers: { ...AUTHORIZED, accept: 'text/html' } })
    const html = response.body
    assert.match(response.headers['content-security-policy'], /default-src 'none'; script-src 'self'/)
    assert.equal(response.headers['cache-control'], 'private, no-store')
    assert.match(html, /<title>Pancake overview: pancake<\/title>/)
    assert.match(html, /<th scope="col">Overrides for <em>user<\/em><\/th><th scope="col">Overrides for <em>admin<\/em><\/th>/)
    // Flag1: default No, globally No; user uid1 (no candidates, but in the
    // tracking set): Yes; admin yes: No, no: N/A.
    assert.match(html, /<tr data-filter="flag1 " id="flag-Flag1"><th scope="row"><code>Flag1<\/code><\/th><td><span class="no">No<\/span><\/td><td><span class="no">No<\/span><\/td><td><div class="group" data-group="user"><h3>user<\/h3><ul class="overrides"><li><code>uid1<\/code>: <span class="yes">Yes<\/span><\/li><\/ul><\/div><\/td><td><div class="group" data-group="admin"><h3>admin<\/h3><ul class="overrides"><li><code>yes<\/code>: <span class="no">No<\/span><\/li><li><code>no<\/code>: <span class="na">N\/A<\/span><\/li><\/ul><\/div><\/td>/)
    assert.match(html, /<code>Flag2<\/code>.*<li><code>no<\/code>: <span class="yes">Yes<\/span><\/li>/)
    // A value that is not the default says so in words.
    assert.match(html, /<code>Sample2<\/code><\/th><td><strong>24&nbsp;%<\/strong> <span class="changed">\(not the default\)<\/span><\/td><td>48&nbsp;%<\/td>/)
    assert.match(html, /<code>Switch3<\/code><\/th><td><strong><span class="yes">Yes<\/span><\/strong> <span class="changed">\(not the default\)<\/span><\/td><td><span class="no">No<\/span><\/td>/)
    // Read-only: no write hook, no controls.
    assert.ok(!html.includes('data-change'))
    await app.close()
  })

  test('rollouts: an additive field of each flag in the JSON, and a line of the group in the HTML', async () => {
    const { app, d } = await flaskApp()
    await app.pancakes.run(async () => { await d.flag3.setRollout('admin', 25); await d.flag3.setRollout('user', 7.5) })
    const json = await app.inject({ url: '/pancakes/overview', headers: AUTHORIZED })
    assert.deepEqual(json.json().flags[2], { ...FLASK_OVERVIEW.flags[2], rollouts: { user: 7.5, admin: 25 } })
    assert.deepEqual(json.json().flags.slice(0, 2), FLASK_OVERVIEW.flags.slice(0, 2))
    const html = (await app.inject({ url: '/pancakes/overview', headers: { ...AUTHORIZED, accept: 'text/html' } })).body
    assert.match(html, /<code>Flag3<\/code><\/th><td><strong><span class="yes">Yes<\/span><\/strong> <span class="changed">\(not the default\)<\/span><\/td><td><span class="no">No<\/span><\/td><td><div class="group" data-group="user"><h3>user<\/h3><p class="rollout">Rolled out to 7.5&nbsp;%<\/p><p class="na">No overrides<\/p><\/div><\/td><td><div class="group" data-group="admin"><h3>admin<\/h3><p class="rollout">Rolled out to 25&nbsp;%<\/p><ul/)
    assert.doesNotMatch(html, /<code>Flag1<\/code>.*class="rollout"/)
    await app.pancakes.run(async () => { await d.flag3.clearRollout('admin'); await d.flag3.clearRollout('user') })
    await app.close()
  })

  test('the HTML page says when a kind has no definitions', async () => {
    const app = await buildApp([{ redis: false }], async (app) => {
      await app.register(pancakeRoutes, { overview: { public: true } })
    })
    const { body } = await app.inject({ url: '/overview', headers: { accept: 'text/html' } })
    assert.match(body, /<td colspan="4">No flags<\/td>/)
    assert.match(body, /<td colspan="4">No samples<\/td>/)
    assert.match(body, /<td colspan="4">No switches<\/td>/)
    await app.close()
  })

  test('the HTML escapes every name and id', async () => {
    const name = '<script>alert("flag")</script>'
    const evil = new Flag(name, false)
    define(new Switch("<b>bold</b>&'", true, { description: '<i>described</i>' }))
    const group = '<img src=x onerror=alert(1)>'
    const id = "<script>alert('id')</script>"
    const app = await buildApp([{
      redis: redis.client(),
      groupFuncs: { [group]: { getObjectId: () => id, getCandidateIds: () => [id, '__proto__'] } }
    }], async (app) => {
      await app.register(pancakeRoutes, { overview: { public: true }, write: { onRequest: async () => {} } })
    })
    await app.pancakes.run(() => evil.enableGroup(group, id), { actor: '<u>actor</u>' })

    const html = (await app.inject({ url: '/overview', headers: { accept: 'text/html' } })).body
    // The one script is the console's own, from the routes.
    assert.deepEqual(html.match(/<script[^>]*>/g), ['<script src="/console.js" defer>'])
    for (const tag of ['<img', '<b>', '<i>', '<u>']) assert.ok(!html.includes(tag), tag)
    assert.ok(html.includes('<code>&lt;script&gt;alert(&quot;flag&quot;)&lt;/script&gt;</code>'))
    assert.ok(html.includes('Overrides for <em>&lt;img src=x onerror=alert(1)&gt;</em>'))
    assert.ok(html.includes('<li><code>&lt;script&gt;alert(&#39;id&#39;)&lt;/script&gt;</code>: <span class="yes">Yes</span>'))
    assert.ok(html.includes('<code>&lt;b&gt;bold&lt;/b&gt;&amp;&#39;</code><div class="description">&lt;i&gt;described&lt;/i&gt;</div>'))
    assert.ok(html.includes('&lt;u&gt;actor&lt;/u&gt;'))
    // A change's JSON sits in an attribute, escaped.
    assert.ok(html.includes('data-change="{&quot;kind&quot;:&quot;flag&quot;,&quot;name&quot;:&quot;&lt;script&gt;alert(\\&quot;flag\\&quot;)&lt;/script&gt;&quot;'))

    // JSON keeps the names as they are, `__proto__` included.
    const json = (await app.inject('/overview')).json()
    assert.equal(json.flags[0].name, name)
    assert.deepEqual(Object.entries(json.flags[0].groups[group]), [[id, true], ['__proto__', null]])
    await app.close()
  })
})

describe('status', () => {
  test("flask-pancake's example, exactly, sorted by name, not cacheable", async () => {
    const { app } = await flaskApp()
    const response = await app.inject('/pancakes/status')
    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), FLASK_STATUS)
    assert.equal(response.headers['cache-control'], 'private, no-store')
    await app.close()
  })

  test("group functions see the request's user", async () => {
    const { app } = await flaskApp()
    const asUser = await app.inject({ url: '/pancakes/status', headers: { 'x-user': 'uid1' } })
    assert.deepEqual(asUser.json().flags[0], { name: 'Flag1', is_active: true })
    // user decides before admin: uid1's override wins over admin "yes"'s.
    const asAdminUser = await app.inject({ url: '/pancakes/status', headers: { 'x-user': 'uid1', 'x-admin': '1' } })
    assert.deepEqual(asAdminUser.json().flags[0], { name: 'Flag1', is_active: true })
    const asAdmin = await app.inject({ url: '/pancakes/status', headers: { 'x-admin': '1' } })
    assert.deepEqual(asAdmin.json().flags[0], { name: 'Flag1', is_active: false })
    const asNonAdmin = await app.inject('/pancakes/status')
    assert.deepEqual(asNonAdmin.json().flags[1], { name: 'Flag2', is_active: true })
    await app.close()
  })

  test('a named instance, and the default one by name', async () => {
    const d = flaskDefinitions()
    define(
      new Switch('OtherSwitch', true, 'other'),
      new Sample('OtherSample', 100, 'other')
    )
    const app = await buildApp([
      { redis: redis.client(), groupFuncs: FLASK_GROUPS, random: () => 0.18 },
      { name: 'other', redis: redis.client() }
    ], async (app) => {
      await app.register(pancakeRoutes, { prefix: '/pancakes' })
    })
    await seedFlaskData(app, d)
    const response = await app.inject('/pancakes/status/other')
    assert.deepEqual(response.json(), {
      flags: [],
      samples: [{ name: 'OtherSample', is_active: true }],
      switches: [{ name: 'OtherSwitch', is_active: true }]
    })
    assert.notEqual(cookiesOf(response).other, undefined)
    assert.equal(cookiesOf(response).pancake, undefined)
    const byName = await app.inject('/pancakes/status/pancake')
    assert.deepEqual(byName.json().switches, FLASK_STATUS.switches)
    await app.close()
  })

  test("agrees with the request's own checks: one draw per sample, one call per group function", async () => {
    const odds = new Sample('Odds', 50)
    const beta = new Flag('Beta', false)
    let draws = 0
    let groupCalls = 0
    // Alternating draws: a second draw in one request would disagree.
    const random = () => (draws++ % 2 === 0 ? 0.1 : 0.9)
    const app = await buildApp([{
      redis: redis.client(),
      random,
      groupFuncs: { user: (request) => { groupCalls++; return request.headers['x-user'] } }
    }], async (app) => {
      // The application checks in a hook of its own, before the status
      // handler runs: both must see the same answers.
      app.addHook('preHandler', async (request, reply) => {
        reply.header('x-early', JSON.stringify({ odds: await odds.isActive(), beta: await beta.isActive() }))
      })
      app.get('/page', async () => ({ own: await odds.isActive(), status: await pancakeStatus(app.pancakes.get()) }))
      await app.register(pancakeRoutes)
    })
    await app.pancakes.run(() => beta.enableGroup('user', 'u1'))

    for (const user of ['u1', 'u2']) {
      draws = 0
      groupCalls = 0
      const response = await app.inject({ url: '/status', headers: { 'x-user': user } })
      const early = JSON.parse(response.headers['x-early'])
      assert.equal(early.odds, true)
      assert.equal(early.beta, user === 'u1')
      assert.deepEqual(response.json(), {
        flags: [{ name: 'Beta', is_active: early.beta }],
        samples: [{ name: 'Odds', is_active: early.odds }],
        switches: []
      })
      assert.equal(draws, 1)
      assert.equal(groupCalls, 1)
    }

    draws = 0
    const page = await app.inject('/page')
    assert.equal(page.json().own, true)
    assert.deepEqual(page.json().status.samples, [{ name: 'Odds', is_active: true }])
    assert.equal(draws, 1)
    await app.close()
  })

  test('sets the signed sample cookie, and a returning browser keeps its outcome', async () => {
    const odds = new Sample('Odds', 50)
    let draw = 0.1
    const app = await buildApp([{ redis: redis.client(), random: () => draw }], async (app) => {
      await app.register(pancakeRoutes, { prefix: '/pancakes' })
    })
    const first = await app.inject('/pancakes/status')
    assert.deepEqual(first.json().samples, [{ name: odds.name, is_active: true }])
    const [setCookie] = first.cookies
    assert.equal(setCookie.name, 'pancake')
    assert.equal(setCookie.httpOnly, true)
    assert.equal(setCookie.sameSite, 'Lax')
    const unsigned = app.unsignCookie(setCookie.value)
    assert.equal(unsigned.valid, true)
    assert.deepEqual(JSON.parse(unsigned.value), { Odds: true })

    draw = 0.9
    const again = await app.inject({ url: '/pancakes/status', cookies: cookiesOf(first) })
    assert.deepEqual(again.json().samples, [{ name: 'Odds', is_active: true }])
    const stranger = await app.inject('/pancakes/status')
    assert.deepEqual(stranger.json().samples, [{ name: 'Odds', is_active: false }])
    await app.close()
  })

  test('no cookie when the instance has no samples', async () => {
    define(new Switch('Lonely', true))
    const app = await buildApp([{ redis: false }], async (app) => { await app.register(pancakeRoutes) })
    const response = await app.inject('/status')
    assert.equal(response.headers['set-cookie'], undefined)
    await app.close()
  })
})

describe('unknown instances', () => {
  test('404 with a JSON error, for both routes, naming no registered instance', async () => {
    const { app } = await flaskApp()
    for (const url of ['/pancakes/overview/foo', '/pancakes/status/foo']) {
      const response = await app.inject({ url, headers: AUTHORIZED })
      assert.equal(response.statusCode, 404)
      assert.match(response.headers['content-type'], /^application\/json/)
      assert.deepEqual(response.json(), {
        statusCode: 404,
        code: 'FST_PANCAKE_INSTANCE_NOT_FOUND',
        error: 'Not Found',
        message: "Unknown pancake instance 'foo'."
      })
      assert.ok(Value.Check(ErrorResponseSchema, response.json()))
    }
    await app.close()
  })

  test('without the default instance, the routes without a name answer 404', async () => {
    define(new Switch('OnlyOther', true, 'other'))
    const app = await buildApp([{ name: 'other', redis: false }], async (app) => {
      await app.register(pancakeRoutes, { overview: { public: true } })
    })
    assert.equal((await app.inject('/status')).statusCode, 404)
    assert.equal((await app.inject('/overview')).statusCode, 404)
    assert.equal((await app.inject('/status/other')).statusCode, 200)
    await app.close()
  })

  test('instances limits what each route serves', async () => {
    define(
      new Switch('Main', true),
      new Switch('Other', true, 'other')
    )
    const app = await buildApp([{ redis: false }, { name: 'other', redis: false }], async (app) => {
      await app.register(pancakeRoutes, { overview: { public: true, instances: ['pancake'] }, status: { instances: ['other'] } })
    })
    assert.equal((await app.inject('/status')).statusCode, 404)
    assert.equal((await app.inject('/status/pancake')).statusCode, 404)
    assert.equal((await app.inject('/status/other')).statusCode, 200)
    assert.equal((await app.inject('/overview')).statusCode, 200)
    assert.equal((await app.inject('/overview/other')).statusCode, 404)
    await app.close()
  })
})

describe('protection', () => {
  test('without a hook or public: true, the overview answers 403 and the status still works', async () => {
    const { lines, logger } = captureLogs()
    const { app } = await flaskApp({}, {}, { logger })
    for (const url of ['/pancakes/overview', '/pancakes/overview/pancake', '/pancakes/overview/foo']) {
      const response = await app.inject({ url, headers: { accept: 'text/html' } })
      assert.equal(response.statusCode, 403)
      assert.match(response.headers['content-type'], /^application\/json/)
      assert.equal(response.json().code, 'FST_PANCAKE_OVERVIEW_LOCKED')
      assert.match(response.json().message, /overview: \{ public: true \}/)
      assert.ok(Value.Check(ErrorResponseSchema, response.json()))
    }
    assert.equal((await app.inject('/pancakes/status')).statusCode, 200)
    assert.ok(lines.some((line) => line.level === 30 && /\/pancakes\/overview answers 403/.test(line.msg)))
    assert.ok(!lines.some((line) => line.level === 40))
    await app.close()
  })

  test('an onRequest hook: 401 without credentials, even for an unknown instance', async () => {
    const { app } = await flaskApp()
    for (const url of ['/pancakes/overview', '/pancakes/overview/pancake', '/pancakes/overview/foo']) {
      const response = await app.inject({ url, headers: { accept: 'text/html' } })
      assert.equal(response.statusCode, 401)
      assert.deepEqual(response.json(), { statusCode: 401, error: 'Unauthorized', message: 'Missing or wrong credentials' })
      assert.ok(Value.Check(ErrorResponseSchema, response.json()))
    }
    assert.equal((await app.inject({ url: '/pancakes/overview', headers: { authorization: 'Bearer guess' } })).statusCode, 401)
    assert.equal((await app.inject({ url: '/pancakes/overview', headers: AUTHORIZED })).statusCode, 200)
    await app.close()
  })

  test('a preHandler hook that replies 403 itself, and an array of hooks', async () => {
    const operatorsOnly = async (request, reply) => {
      if (request.headers['x-role'] !== 'operator') {
        return reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: 'Operators only', hint: 'ask the on-call' })
      }
    }
    const { app } = await flaskApp({}, { overview: { onRequest: [requireToken], preHandler: [operatorsOnly] } })
    const forbidden = await app.inject({ url: '/pancakes/overview', headers: AUTHORIZED })
    assert.equal(forbidden.statusCode, 403)
    assert.deepEqual(forbidden.json(), { statusCode: 403, error: 'Forbidden', message: 'Operators only', hint: 'ask the on-call' })
    assert.equal((await app.inject({ url: '/pancakes/overview', headers: { 'x-role': 'operator' } })).statusCode, 401)
    const allowed = await app.inject({ url: '/pancakes/overview', headers: { ...AUTHORIZED, 'x-role': 'operator' } })
    assert.deepEqual(allowed.json(), FLASK_OVERVIEW)
    await app.close()
  })

  test("a hook's own reply passes through as the hook sent it, whatever its shape", async (t) => {
    const replies = {
      nope: (reply) => reply.code(401).send({ message: 'nope' }),
      list: (reply) => reply.code(403).send(['no', 1]),
      text: (reply) => reply.code(401).type('application/json').send('{"why":"plain"}'),
      odd: (reply) => reply.code(403).send({ statusCode: 'forbidden', error: 42 }),
      teapot: (reply) => reply.code(418).send({ brewing: true })
    }
    const { app } = await flaskApp({}, {
      overview: { onRequest: async (request, reply) => replies[request.headers['x-reply']]?.(reply) ?? reply },
      status: { preHandler: async (request, reply) => { if (request.headers['x-reply'] !== undefined) return replies[request.headers['x-reply']](reply) } }
    })
    t.after(() => app.close())
    for (const url of ['/pancakes/overview', '/pancakes/status/pancake']) {
      const expectations = [
        ['nope', 401, { message: 'nope' }],
        ['list', 403, ['no', 1]],
        ['text', 401, { why: 'plain' }],
        ['odd', 403, { statusCode: 'forbidden', error: 42 }],
        ['teapot', 418, { brewing: true }]
      ]
      for (const [name, statusCode, body] of expectations) {
        const response = await app.inject({ url, headers: { 'x-reply': name } })
        assert.equal(response.statusCode, statusCode, `${url} ${name}`)
        assert.deepEqual(response.json(), body, `${url} ${name}`)
      }
    }
    // The routes' own answers keep their schemas: a 200 is still checked.
    assert.deepEqual((await app.inject('/pancakes/status')).json(), FLASK_STATUS)
  })

  test('every answer of the routes says nosniff: 200, refused by a hook, locked, unknown instance, HTML', async (t) => {
    const { app } = await flaskApp({}, { overview: { onRequest: requireToken } })
    t.after(() => app.close())
    const locked = (await flaskApp({}, {})).app
    t.after(() => locked.close())
    // A hook of the app, outside the routes, that answers for them.
    const early = await buildApp([{ redis: false }], async (app) => {
      app.addHook('onRequest', async (request, reply) => {
        if (request.headers['x-early'] === '1') return await reply.code(429).send({ slow: 'down' })
      })
      await app.register(pancakeRoutes, { prefix: '/pancakes' })
    })
    t.after(() => early.close())
    const answers = [
      [app, { url: '/pancakes/overview', headers: AUTHORIZED }, 200],
      [app, { url: '/pancakes/overview', headers: { ...AUTHORIZED, accept: 'text/html' } }, 200],
      [app, { url: '/pancakes/overview' }, 401],
      [app, { url: '/pancakes/overview/nope', headers: AUTHORIZED }, 404],
      [app, { url: '/pancakes/status' }, 200],
      [app, { url: '/pancakes/status/pancake' }, 200],
      [app, { url: '/pancakes/status/nope' }, 404],
      [locked, { url: '/pancakes/overview' }, 403],
      [early, { url: '/pancakes/status', headers: { 'x-early': '1' } }, 429]
    ]
    for (const [which, request, statusCode] of answers) {
      const response = await which.inject(request)
      assert.equal(response.statusCode, statusCode, request.url)
      assert.equal(response.headers['x-content-type-options'], 'nosniff', request.url)
    }
  })

  test('the status takes hooks too', async () => {
    const { app } = await flaskApp({}, { overview: false, status: { onRequest: requireToken } })
    assert.equal((await app.inject('/pancakes/status')).statusCode, 401)
    assert.deepEqual((await app.inject({ url: '/pancakes/status', headers: AUTHORIZED })).json(), FLASK_STATUS)
    await app.close()
  })

  test('a public overview logs a warning at startup', async () => {
    const { lines, logger } = captureLogs()
    const { app } = await flaskApp({}, { overview: { public: true } }, { logger })
    const warnings = lines.filter((line) => line.level === 40)
    assert.equal(warnings.length, 1)
    assert.equal(warnings[0].url, '/pancakes/overview')
    assert.match(warnings[0].msg, /overview at \/pancakes\/overview is public/)
    const response = await app.inject('/pancakes/overview')
    assert.deepEqual(response.json(), FLASK_OVERVIEW)
    await app.close()
  })

  test('a protected overview logs no warning', async () => {
    const { lines, logger } = captureLogs()
    const { app } = await flaskApp({}, undefined, { logger })
    assert.ok(!lines.some((line) => line.level >= 40))
    await app.close()
  })

  test('false leaves routes out', async () => {
    const { app } = await flaskApp({}, { overview: false, status: false })
    const overview = await app.inject({ url: '/pancakes/overview', headers: AUTHORIZED })
    assert.equal(overview.statusCode, 404)
    assert.match(overview.json().message, /^Route GET:\/pancakes\/overview not found$/)
    assert.equal((await app.inject('/pancakes/status')).statusCode, 404)
    await app.close()
  })
})

describe('schemas', () => {
  test('the responses match the exported schemas, which reject a renamed field', async () => {
    const { app } = await flaskApp()
    const overview = (await app.inject({ url: '/pancakes/overview', headers: AUTHORIZED })).json()
    const status = (await app.inject('/pancakes/status')).json()
    assert.ok(Value.Check(OverviewSchema, overview))
    assert.ok(Value.Check(StatusSchema, status))

    const renamed = (object, from, to) => {
      const { [from]: value, ...rest } = object
      return { ...rest, [to]: value }
    }
    assert.ok(!Value.Check(OverviewSchema, renamed(overview, 'group_ids', 'groupIds')))
    assert.ok(!Value.Check(OverviewSchema, { ...overview, flags: [renamed(overview.flags[0], 'is_active', 'isActive')] }))
    assert.ok(!Value.Check(OverviewSchema, { ...overview, samples: [renamed(overview.samples[0], 'value', 'val')] }))
    assert.ok(!Value.Check(OverviewSchema, { ...overview, switches: [renamed(overview.switches[0], 'default', 'defaultValue')] }))
    assert.ok(!Value.Check(OverviewSchema, { ...overview, flags: [{ ...overview.flags[0], groups: { admin: { yes: 'no' } } }] }))
    assert.ok(!Value.Check(StatusSchema, renamed(status, 'switches', 'switch')))
    assert.ok(!Value.Check(StatusSchema, { ...status, samples: [renamed(status.samples[0], 'is_active', 'active')] }))
    await app.close()
  })

  test('Fastify refuses to serialize a renamed field', async () => {
    const app = Fastify()
    app.get('/bad', { schema: { response: { 200: StatusSchema } } }, async () => ({
      flags: [{ name: 'X', isActive: true }], samples: [], switches: []
    }))
    const response = await app.inject('/bad')
    assert.equal(response.statusCode, 500)
    await app.close()
  })

  test('the :pancake parameter is declared for OpenAPI', async () => {
    const routes = []
    const app = Fastify()
    app.addHook('onRoute', (route) => { routes.push(route) })
    await app.register(cookie, { secret: SECRET })
    await app.register(pancake, { redis: false })
    await app.register(pancakeRoutes, { prefix: '/p', overview: { public: true } })
    await app.ready()
    const byUrl = Object.fromEntries(routes.filter((route) => route.method === 'GET').map((route) => [route.url, route.schema]))
    assert.deepEqual(Object.keys(byUrl).sort(), ['/p/console.js', '/p/history', '/p/history/:pancake', '/p/overrides', '/p/overrides/:pancake', '/p/overview', '/p/overview/:pancake', '/p/status', '/p/status/:pancake'])
    assert.deepEqual(routes.filter((route) => route.method === 'POST').map((route) => route.url).sort(), ['/p/changes', '/p/changes/:pancake'])
    assert.equal(byUrl['/p/overview'].params, undefined)
    assert.deepEqual(Object.keys(byUrl['/p/status/:pancake'].params.properties), ['pancake'])
    assert.deepEqual(Object.keys(byUrl['/p/overview/:pancake'].response).sort(), ['200', '401', '403', '404'])
    assert.deepEqual(Object.keys(byUrl['/p/overview'].response[200].content).sort(), ['application/json', 'text/html'])
    await app.close()
  })
})

describe('registration', () => {
  const bad = [
    [{ bogus: true }, /option "bogus" is not an option of pancakeRoutes/],
    [{ overview: true }, /option "overview" must be an object/],
    [{ overview: { public: 'yes' } }, /option "overview.public" must be true or false/],
    [{ overview: { public: true, onRequest: requireToken } }, /option "overview.public" cannot be combined/],
    [{ overview: { onRequest: 'auth' } }, /option "overview.onRequest" must be a hook function/],
    [{ overview: { preHandler: [] } }, /option "overview.preHandler" must be a hook function/],
    [{ overview: { auth: requireToken } }, /option "overview.auth" is not an option of the overview routes/],
    [{ status: { public: true } }, /option "status.public" is not an option of the status routes/],
    [{ status: { instances: 'other' } }, /option "status.instances" must be an array/],
    [{ status: { instances: [''] } }, /option "status.instances" must be an array/],
    [{ status: { instances: ['pancake', 'missing'] } }, /option "status.instances" names 'missing', which is not a registered pancake instance \(registered: pancake\)/],
    [{ overview: { public: true, instances: ['missing'] } }, /option "overview.instances" names 'missing'/]
  ]
  for (const [options, message] of bad) {
    test(`fails ready() for ${JSON.stringify(options)}`, async () => {
      await assert.rejects(
        buildApp([{ redis: false }], async (app) => { await app.register(pancakeRoutes, options) }),
        (err) => err.code === 'FST_PANCAKE_INVALID_OPTION' && message.test(err.message)
      )
    })
  }

  test('fails ready() when fastify-pancake is not registered before, or only in a sibling context', async () => {
    const alone = Fastify()
    await alone.register(cookie, { secret: SECRET })
    alone.register(pancakeRoutes)
    await assert.rejects(alone.ready(), { code: 'FST_PANCAKE_ROUTES_WITHOUT_PLUGIN', message: /register the fastify-pancake plugin before pancakeRoutes/ })

    const sibling = Fastify()
    await sibling.register(cookie, { secret: SECRET })
    sibling.register(async (child) => { await child.register(pancake, { redis: false }) })
    sibling.register(pancakeRoutes)
    await assert.rejects(sibling.ready(), { code: 'FST_PANCAKE_ROUTES_WITHOUT_PLUGIN' })
  })

  test('an instance registered after the routes is served', async () => {
    define(new Switch('Late', true, 'late'))
    const app = Fastify()
    await app.register(cookie, { secret: SECRET })
    await app.register(pancake, { redis: false })
    await app.register(pancakeRoutes, { status: { instances: ['late'] } })
    await app.register(pancake, { name: 'late', redis: false })
    await app.ready()
    assert.deepEqual((await app.inject('/status/late')).json().switches, [{ name: 'Late', is_active: true }])
    await app.close()
  })

  test('mounts twice: a public status for the front end, a protected overview for operators', async () => {
    flaskDefinitions()
    const app = await buildApp([{ redis: false, groupFuncs: FLASK_GROUPS }], async (app) => {
      await app.register(pancakeRoutes, { prefix: '/api/flags', overview: false })
      await app.register(pancakeRoutes, { prefix: '/admin/pancakes', status: false, overview: { onRequest: requireToken } })
    })
    assert.equal((await app.inject('/api/flags/status')).statusCode, 200)
    assert.equal((await app.inject('/api/flags/overview')).statusCode, 404)
    assert.equal((await app.inject('/admin/pancakes/status')).statusCode, 404)
    assert.equal((await app.inject('/admin/pancakes/overview')).statusCode, 401)
    assert.equal((await app.inject({ url: '/admin/pancakes/overview', headers: AUTHORIZED })).statusCode, 200)
    await app.close()
  })

  test("the routes' hooks stay inside them", async () => {
    const app = await buildApp([{ redis: false }], async (app) => {
      await app.register(pancakeRoutes, { prefix: '/pancakes', overview: { onRequest: requireToken }, status: { onRequest: requireToken } })
      app.get('/open', async () => 'open')
    })
    assert.equal((await app.inject('/open')).statusCode, 200)
    await app.close()
  })
})
