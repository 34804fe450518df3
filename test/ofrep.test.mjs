// The OFREP routes: the protocol's shapes, ETags, whose context counts, the
// auth hook; then the real OpenFeature clients against a real port: the
// server OFREP provider, and the web SDK with the OFREP web provider.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { OFREPProvider } from '@openfeature/ofrep-provider'
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider'
import { ErrorCode, NOOP_PROVIDER, OpenFeature } from '@openfeature/server-sdk'
import { OpenFeature as WebOpenFeature, ProviderEvents as WebProviderEvents } from '@openfeature/web-sdk'
import { Flag, Sample, Switch, definitions, pancakeOfrep, pancakeRoutes } from '../dist/index.mjs'
import { buildApp, cookiesOf } from './helpers/app.mjs'
import { redisForThisFile } from './helpers/redis.mjs'
import { eventually } from './helpers/wait.mjs'

const redis = redisForThisFile()

const BULK = '/flags/ofrep/v1/evaluate/flags'
const users = { groupFuncs: { user: (request) => request.headers['x-user'], team: (request) => request.headers['x-team'] } }

/**
 * An app with only the definitions made by `define` (the registry is
 * global: the bulk answer lists every definition of the instance) and the
 * OFREP routes under /flags.
 */
async function ofrepApp (define, ofrepOptions = {}, pancakeOptions = { redis: false, ...users }, setup = () => {}) {
  definitions.clear()
  const defined = define()
  const app = await buildApp([pancakeOptions], async (app) => {
    await app.register(pancakeOfrep, { prefix: '/flags', ...ofrepOptions })
    await setup(app)
  })
  return { app, ...defined }
}

const bulk = (app, { context = {}, headers = {}, ...rest } = {}) =>
  app.inject({ method: 'POST', url: BULK, headers, payload: { context }, ...rest })
const single = (app, key, { context = {}, headers = {} } = {}) =>
  app.inject({ method: 'POST', url: `${BULK}/${encodeURIComponent(key)}`, headers, payload: { context } })

describe('OFREP routes', () => {
  test('bulk: every switch, flag and sample, in the protocol\'s shape, JSON, never cached by others', async (t) => {
    const { app, F } = await ofrepApp(() => ({
      S: new Switch('DARK_MODE', true),
      F: new Flag('BETA', false),
      P: new Sample('ODDS', 100)
    }))
    t.after(() => app.close())
    await app.pancakes.run(() => F.enableGroup('user', 'ann'))
    const response = await bulk(app, { headers: { 'x-user': 'ann' } })
    assert.equal(response.statusCode, 200)
    assert.equal(response.headers['content-type'], 'application/json; charset=utf-8')
    assert.equal(response.headers['cache-control'], 'private, no-store')
    assert.equal(response.headers['x-content-type-options'], 'nosniff')
    assert.match(response.headers.etag, /^"[\w-]+"$/)
    assert.deepEqual(response.json(), {
      flags: [
        { key: 'DARK_MODE', value: true, reason: 'STATIC', variant: 'on', metadata: { kind: 'switch', instance: 'pancake' } },
        { key: 'BETA', value: true, reason: 'TARGETING_MATCH', variant: 'on', metadata: { kind: 'flag', instance: 'pancake', group: 'user' } },
        { key: 'ODDS', value: true, reason: 'SPLIT', variant: 'on', metadata: { kind: 'sample', instance: 'pancake', percentage: 100 } }
      ],
      metadata: { instance: 'pancake' }
    })
    // The sample's draw is the browser's, as for the status route.
    assert.ok(cookiesOf(response).pancake !== undefined)
  })

  test('single: one flag; an unknown one is a 404 in the protocol\'s shape', async (t) => {
    const { app } = await ofrepApp(() => ({ S: new Switch('DARK_MODE', true) }))
    t.after(() => app.close())
    const found = await single(app, 'DARK_MODE')
    assert.equal(found.statusCode, 200)
    assert.equal(found.headers['cache-control'], 'private, no-store')
    assert.deepEqual(found.json(), { key: 'DARK_MODE', value: true, reason: 'STATIC', variant: 'on', metadata: { kind: 'switch', instance: 'pancake' } })
    const missing = await single(app, 'NOPE')
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.headers['content-type'], 'application/json; charset=utf-8')
    assert.deepEqual(missing.json(), { key: 'NOPE', errorCode: 'FLAG_NOT_FOUND', errorDetails: "No switch, flag or sample named 'NOPE'." })
  })

  test('ETag: If-None-Match answers 304 until the state changes; it differs between contexts', async (t) => {
    const { app, S } = await ofrepApp(() => ({ S: new Switch('DARK_MODE', false), F: new Flag('BETA', false) }), { trustedAttributes: ['team'] })
    t.after(() => app.close())
    const first = await bulk(app, { headers: { 'x-user': 'ann' } })
    const etag = first.headers.etag
    const unchanged = await bulk(app, { headers: { 'x-user': 'ann', 'if-none-match': etag } })
    assert.equal(unchanged.statusCode, 304)
    assert.equal(unchanged.body, '')
    assert.equal(unchanged.headers.etag, etag)
    assert.equal(unchanged.headers['cache-control'], 'private, no-store')
    assert.equal((await bulk(app, { headers: { 'x-user': 'ann', 'if-none-match': `"other", W/${etag}` } })).statusCode, 304)

    await app.pancakes.run(() => S.enable())
    const changed = await bulk(app, { headers: { 'x-user': 'ann', 'if-none-match': etag } })
    assert.equal(changed.statusCode, 200)
    assert.notEqual(changed.headers.etag, etag)
    assert.equal(changed.json().flags[0].value, true)

    // The same answers for two contexts, two tags: a tag names an answer
    // for one context.
    const red = await bulk(app, { headers: { 'x-user': 'ann' }, context: { team: 'red' } })
    const blue = await bulk(app, { headers: { 'x-user': 'ann' }, context: { team: 'blue' } })
    assert.deepEqual(red.json(), blue.json())
    assert.notEqual(red.headers.etag, blue.headers.etag)
    assert.equal((await bulk(app, { headers: { 'x-user': 'ann', 'if-none-match': red.headers.etag }, context: { team: 'blue' } })).statusCode, 200)
  })

  test('whose context: by default the request\'s own identity; the body\'s targetingKey is ignored', async (t) => {
    const { app, F } = await ofrepApp(() => ({ F: new Flag('BETA', false) }))
    t.after(() => app.close())
    await app.pancakes.run(() => F.enableGroup('user', 'ann'))
    const asBob = (context) => bulk(app, { headers: { 'x-user': 'bob' }, context })
    // Bob claims to be Ann, or names her team: he still sees his own flags.
    assert.equal((await asBob({ targetingKey: 'ann' })).json().flags[0].value, false)
    assert.equal((await asBob({ targetingKey: 'ann', user: 'ann' })).json().flags[0].value, false)
    assert.equal((await bulk(app, { headers: { 'x-user': 'ann' }, context: { targetingKey: 'bob' } })).json().flags[0].value, true)
    assert.equal((await single(app, 'BETA', { headers: { 'x-user': 'bob' }, context: { targetingKey: 'ann' } })).json().value, false)
  })

  test('trustedAttributes: those the app names come from the body, over the request\'s identity', async (t) => {
    const { app, F } = await ofrepApp(() => ({ F: new Flag('BETA', false) }), { trustedAttributes: ['team'] })
    t.after(() => app.close())
    await app.pancakes.run(async () => {
      await F.enableGroup('team', 'red')
      await F.disableGroup('user', 'bob')
    })
    const answer = async (headers, context) => (await bulk(app, { headers, context })).json().flags[0]
    assert.equal((await answer({ 'x-user': 'ann' }, { team: 'red' })).value, true)
    assert.equal((await answer({ 'x-user': 'ann', 'x-team': 'red' }, { team: 'blue' })).value, false)
    // The request's user still counts, before the team.
    assert.deepEqual(await answer({ 'x-user': 'bob' }, { team: 'red', targetingKey: 'ann' }), {
      key: 'BETA', value: false, reason: 'TARGETING_MATCH', variant: 'off', metadata: { kind: 'flag', instance: 'pancake', group: 'user' }
    })
    // A trusted attribute must be an id.
    const invalid = await bulk(app, { headers: { 'x-user': 'ann' }, context: { team: { name: 'red' } } })
    assert.equal(invalid.statusCode, 400)
    assert.equal(invalid.json().errorCode, 'INVALID_CONTEXT')
    assert.match(invalid.json().errorDetails, /attribute 'team'/)
    const invalidSingle = await single(app, 'BETA', { context: { team: ['red'] } })
    assert.equal(invalidSingle.statusCode, 400)
    assert.deepEqual(Object.keys(invalidSingle.json()), ['key', 'errorCode', 'errorDetails'])
  })

  test('trustClientContext with an auth hook: servers evaluate for any targetingKey; others get the hook\'s 401', async (t) => {
    const { app, F } = await ofrepApp(() => ({ F: new Flag('BETA', false) }), {
      trustClientContext: true,
      onRequest: async (request) => {
        if (request.headers.authorization !== 'Bearer s3cret') throw Object.assign(new Error('Who are you?'), { statusCode: 401 })
      }
    })
    t.after(() => app.close())
    await app.pancakes.run(() => F.enableGroup('user', 'ann'))
    const refused = await bulk(app, { context: { targetingKey: 'ann' } })
    assert.equal(refused.statusCode, 401)
    assert.equal(refused.headers['content-type'], 'application/json; charset=utf-8')
    assert.deepEqual(refused.json(), { errorDetails: 'Who are you?' })
    assert.equal(refused.headers['x-content-type-options'], 'nosniff')
    const asServer = (context) => bulk(app, { headers: { authorization: 'Bearer s3cret' }, context })
    assert.equal((await asServer({ targetingKey: 'ann' })).json().flags[0].value, true)
    assert.equal((await asServer({ targetingKey: 'bob' })).json().flags[0].value, false)
  })

  test('bad requests answer in the protocol\'s shape, as JSON', async (t) => {
    const { app } = await ofrepApp(() => ({ S: new Switch('DARK_MODE', true) }))
    t.after(() => app.close())
    const noContext = await app.inject({ method: 'POST', url: BULK, payload: {} })
    assert.equal(noContext.statusCode, 400)
    assert.equal(noContext.headers['content-type'], 'application/json; charset=utf-8')
    assert.equal(noContext.json().errorCode, 'INVALID_CONTEXT')
    assert.match(noContext.json().errorDetails, /context/)
    const notJson = await app.inject({ method: 'POST', url: BULK, headers: { 'content-type': 'application/json' }, payload: '{"context":' })
    assert.equal(notJson.statusCode, 400)
    assert.equal(notJson.json().errorCode, 'PARSE_ERROR')
    const singleNoContext = await app.inject({ method: 'POST', url: `${BULK}/DARK_MODE`, payload: { context: 'me' } })
    assert.equal(singleNoContext.statusCode, 400)
    assert.equal(singleNoContext.json().key, 'DARK_MODE')
    assert.equal(singleNoContext.json().errorCode, 'INVALID_CONTEXT')
    const plainText = await app.inject({ method: 'POST', url: BULK, headers: { 'content-type': 'text/plain' }, payload: 'hello' })
    assert.equal(plainText.statusCode, 400)
    assert.equal(plainText.json().errorCode, 'INVALID_CONTEXT')
    const xml = await app.inject({ method: 'POST', url: BULK, headers: { 'content-type': 'application/xml' }, payload: '<context/>' })
    assert.equal(xml.statusCode, 415)
    assert.equal(xml.headers['content-type'], 'application/json; charset=utf-8')
    assert.equal(typeof xml.json().errorDetails, 'string')
  })

  test('a failing group function fails the flags that need it, item by item; the others answer', async (t) => {
    const { app } = await ofrepApp(() => ({ S: new Switch('DARK_MODE', true), F: new Flag('BETA', false) }), {}, {
      redis: false,
      groupFuncs: { user: () => { throw new Error('no session store') } }
    })
    t.after(() => app.close())
    const response = await bulk(app)
    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json().flags, [
      { key: 'DARK_MODE', value: true, reason: 'STATIC', variant: 'on', metadata: { kind: 'switch', instance: 'pancake' } },
      { key: 'BETA', errorCode: 'GENERAL', errorDetails: 'no session store' }
    ])
    const one = await single(app, 'BETA')
    assert.equal(one.statusCode, 500)
    assert.deepEqual(one.json(), { errorDetails: 'The flags could not be evaluated.' })
  })

  test('options: a bad one fails ready() naming it', async () => {
    definitions.clear()
    const register = async (options, pancakeOptions = { redis: false, ...users }) =>
      await buildApp([pancakeOptions], async (app) => { await app.register(pancakeOfrep, options) })
    await assert.rejects(register({ trustedAttributes: 'team' }), { code: 'FST_PANCAKE_INVALID_OPTION', message: /"trustedAttributes"/ })
    await assert.rejects(register({ trustClientContext: 'yes' }), { message: /"trustClientContext"/ })
    await assert.rejects(register({ onRequest: 'auth' }), { message: /"onRequest"/ })
    await assert.rejects(register({ publik: true }), { message: /"publik" is not an option of pancakeOfrep/ })
    await assert.rejects(register({ instance: 'frontend' }), { message: /"instance" names 'frontend'/ })
    await assert.rejects(register({ targetingKey: 'usr' }), { message: /"targetingKey" names group 'usr'/ })
  })

  test('the routes mount beside the others, under their own prefix', async (t) => {
    const { app } = await ofrepApp(() => ({ S: new Switch('DARK_MODE', true) }))
    await app.close()
    definitions.clear()
    new Switch('DARK_MODE', true) // eslint-disable-line no-new
    const both = await buildApp([{ redis: false }], async (app) => {
      await app.register(pancakeRoutes, { prefix: '/pancakes' })
      await app.register(pancakeOfrep, { prefix: '/pancakes' })
    })
    t.after(() => both.close())
    assert.equal((await both.inject('/pancakes/status')).statusCode, 200)
    assert.equal((await both.inject({ method: 'POST', url: '/pancakes/ofrep/v1/evaluate/flags', payload: { context: {} } })).statusCode, 200)
  })
})

describe('OFREP with the real OpenFeature clients, on a real port', () => {
  /** The app listening on 127.0.0.1, and its OFREP base URL; counts bulk answers by status. */
  async function listening (define, ofrepOptions, t) {
    // The definitions of each test are new; their values in Redis too.
    await redis.flush()
    const statuses = []
    const { app, ...defined } = await ofrepApp(define, ofrepOptions, { redis: redis.client(), staleness: 60_000, ...users }, (app) => {
      app.addHook('onResponse', async (request, reply) => {
        if (request.url === BULK) statuses.push(reply.statusCode)
      })
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    t.after(() => app.close())
    return { app, statuses, baseUrl: `http://127.0.0.1:${app.server.address().port}/flags`, ...defined }
  }

  test('@openfeature/ofrep-provider (server): values per context, a flag that does not exist', async (t) => {
    const { baseUrl, app, F } = await listening(() => ({ S: new Switch('DARK_MODE', true), F: new Flag('BETA', false) }), {
      trustClientContext: true,
      onRequest: async (request) => {
        if (request.headers.authorization !== 'Bearer s3cret') throw Object.assign(new Error('Who are you?'), { statusCode: 401 })
      }
    }, t)
    await app.pancakes.run(() => F.enableGroup('user', 'ann'))
    const domain = 'ofrep-server'
    await OpenFeature.setProviderAndWait(domain, new OFREPProvider({ baseUrl, headers: { Authorization: 'Bearer s3cret' } }))
    t.after(() => OpenFeature.setProviderAndWait(domain, NOOP_PROVIDER))
    const client = OpenFeature.getClient(domain)
    const ann = await client.getBooleanDetails('BETA', false, { targetingKey: 'ann' })
    assert.deepEqual({ value: ann.value, reason: ann.reason, variant: ann.variant, group: ann.flagMetadata.group }, { value: true, reason: 'TARGETING_MATCH', variant: 'on', group: 'user' })
    assert.equal(await client.getBooleanValue('BETA', true, { targetingKey: 'bob' }), false)
    assert.equal(await client.getBooleanValue('DARK_MODE', false, { targetingKey: 'bob' }), true)
    const missing = await client.getBooleanDetails('NOPE', true, { targetingKey: 'bob' })
    assert.deepEqual({ value: missing.value, errorCode: missing.errorCode }, { value: true, errorCode: ErrorCode.FLAG_NOT_FOUND })

    // Without the credentials the hook wants, nothing is evaluated.
    const stranger = 'ofrep-stranger'
    await OpenFeature.setProviderAndWait(stranger, new OFREPProvider({ baseUrl }))
    t.after(() => OpenFeature.setProviderAndWait(stranger, NOOP_PROVIDER))
    const refused = await OpenFeature.getClient(stranger).getBooleanDetails('BETA', false, { targetingKey: 'ann' })
    assert.equal(refused.value, false)
    assert.equal(refused.reason, 'ERROR')
  })

  test('@openfeature/web-sdk with the OFREP web provider: the initial load, a change seen on the next poll, 304 while nothing changes', async (t) => {
    const { baseUrl, app, statuses, S, F } = await listening(() => ({ S: new Switch('DARK_MODE', false), F: new Flag('BETA', false) }), {}, t)
    await app.pancakes.run(() => F.enableGroup('user', 'ann'))
    // The browser is Ann's (its session, here a header), whatever its
    // context claims.
    await WebOpenFeature.setContext({ targetingKey: 'bob' })
    const provider = new OFREPWebProvider({ baseUrl, pollInterval: 50, cacheMode: 'disabled', headers: [['x-user', 'ann']] })
    await WebOpenFeature.setProviderAndWait(provider)
    t.after(() => WebOpenFeature.clearProviders())
    const client = WebOpenFeature.getClient()
    assert.equal(client.getBooleanValue('BETA', false), true)
    assert.equal(client.getBooleanValue('DARK_MODE', true), false)
    assert.equal(client.getBooleanDetails('BETA', false).reason, 'TARGETING_MATCH')
    const missing = client.getBooleanDetails('NOPE', true)
    assert.deepEqual({ value: missing.value, errorCode: missing.errorCode }, { value: true, errorCode: 'FLAG_NOT_FOUND' })

    // Polls while nothing changes: 304s.
    await eventually(() => statuses.includes(304), true)
    assert.equal(statuses[0], 200)

    const changed = new Promise((resolve) => client.addHandler(WebProviderEvents.ConfigurationChanged, resolve))
    await app.pancakes.run(() => S.enable())
    const details = await changed
    assert.deepEqual(details.flagsChanged, ['DARK_MODE'])
    assert.equal(client.getBooleanValue('DARK_MODE', false), true)
    assert.equal(statuses.filter((status) => status === 200).length, 2)
  })
})
