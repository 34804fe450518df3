// The OpenFeature server provider, through the real @openfeature/server-sdk:
// every reason and error code, the context mapping, the request-scoped
// case, lifecycle events and hooks.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { describe, test } from 'node:test'
import { ErrorCode, NOOP_PROVIDER, OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/server-sdk'
import cookie from '@fastify/cookie'
import Fastify from 'fastify'
import pancake, { Flag, Sample, Switch } from '../dist/index.mjs'
import { PancakeProvider } from '../dist/openfeature/index.mjs'
import { SECRET, buildApp, cookiesOf, uniqueName } from './helpers/app.mjs'
import { freePort, redisForThisFile } from './helpers/redis.mjs'
import { subscribers } from './helpers/wait.mjs'

const redis = redisForThisFile()
const QUIET = { staleness: 60_000 }

let domains = 0
/** Unbinds a domain's provider; the SDK closes it. */
const unbind = async (domain) => await OpenFeature.setProviderAndWait(domain, NOOP_PROVIDER)
/**
 * A client of a domain of its own, bound to a new provider for `app`: the
 * OpenFeature API is global, so each test keeps to its own domain.
 */
async function clientFor (app, options, t, domain = `pancake-${++domains}`) {
  const provider = new PancakeProvider(app, options)
  await OpenFeature.setProviderAndWait(domain, provider)
  t.after(() => unbind(domain))
  return { client: OpenFeature.getClient(domain), provider, domain }
}

const users = { groupFuncs: { user: (request) => request.headers['x-user'], team: (request) => request.headers['x-team'] } }

describe('PancakeProvider', () => {
  test('reasons, variants and metadata: STATIC, DEFAULT, TARGETING_MATCH, SPLIT', async (t) => {
    const S = new Switch(uniqueName('Static'), true)
    const BROKEN = new Switch(uniqueName('Broken'), true)
    const F = new Flag(uniqueName('Beta'), false)
    const R = new Flag(uniqueName('Rolled'), false)
    const P = new Sample(uniqueName('Odds'), 100)
    const app = await buildApp([{ redis: false, ...users }])
    t.after(() => app.close())
    const { client } = await clientFor(app, {}, t)
    await app.pancakes.run(async () => {
      await F.enableGroup('team', 'red')
      await R.setRollout('user', 100)
    })
    // Written by hand, not a value the library knows: the default applies.
    await app.pancakes.get().store.set(BROKEN.key, 'yes')

    assert.deepEqual(await client.getBooleanDetails(S.name, false), {
      flagKey: S.name, value: true, variant: 'on', reason: 'STATIC', flagMetadata: { kind: 'switch', instance: 'pancake' }
    })
    assert.deepEqual(await client.getBooleanDetails(BROKEN.name, false), {
      flagKey: BROKEN.name, value: true, variant: 'on', reason: 'DEFAULT', flagMetadata: { kind: 'switch', instance: 'pancake' }
    })
    assert.deepEqual(await client.getBooleanDetails(F.name, false, { targetingKey: 'ann', team: 'red' }), {
      flagKey: F.name, value: true, variant: 'on', reason: 'TARGETING_MATCH', flagMetadata: { kind: 'flag', instance: 'pancake', group: 'team' }
    })
    assert.deepEqual(await client.getBooleanDetails(F.name, true, { targetingKey: 'ann', team: 'blue' }), {
      flagKey: F.name, value: false, variant: 'off', reason: 'STATIC', flagMetadata: { kind: 'flag', instance: 'pancake' }
    })
    const rolled = await client.getBooleanDetails(R.name, false, { targetingKey: 'ann' })
    assert.equal(rolled.reason, 'SPLIT')
    assert.equal(rolled.value, true)
    assert.equal(rolled.flagMetadata.group, 'user')
    assert.equal(rolled.flagMetadata.percentage, 100)
    assert.ok(rolled.flagMetadata.bucket >= 1 && rolled.flagMetadata.bucket <= 100)
    // A sample: its draw as a boolean, its percentage as a number.
    assert.deepEqual(await client.getBooleanDetails(P.name, false, { targetingKey: 'ann' }), {
      flagKey: P.name, value: true, variant: 'on', reason: 'SPLIT', flagMetadata: { kind: 'sample', instance: 'pancake', percentage: 100 }
    })
    await app.pancakes.run(() => P.set(0))
    assert.equal(await client.getBooleanValue(P.name, true), false)
    assert.deepEqual(await client.getNumberDetails(P.name, 50), {
      flagKey: P.name, value: 0, reason: 'STATIC', flagMetadata: { kind: 'sample', instance: 'pancake', percentage: 0 }
    })
  })

  test('error codes: FLAG_NOT_FOUND, TYPE_MISMATCH, INVALID_CONTEXT, GENERAL; the default value comes back', async (t) => {
    const S = new Switch(uniqueName('Typed'), true)
    const F = new Flag(uniqueName('Typed'), true)
    const app = await buildApp([{ redis: false, groupFuncs: { user: () => { throw new Error('no session store') } } }], (app) => {
      app.get('/', async () => await OpenFeature.getClient(app.domain).getBooleanDetails(F.name, false))
    })
    t.after(() => app.close())
    const { client, domain } = await clientFor(app, {}, t)
    app.domain = domain

    const error = (details) => ({ value: details.value, reason: details.reason, errorCode: details.errorCode })
    assert.deepEqual(error(await client.getBooleanDetails('NOT_DEFINED', true)), { value: true, reason: 'ERROR', errorCode: ErrorCode.FLAG_NOT_FOUND })
    assert.deepEqual(error(await client.getStringDetails('NOT_DEFINED', 'x')), { value: 'x', reason: 'ERROR', errorCode: ErrorCode.FLAG_NOT_FOUND })
    assert.deepEqual(error(await client.getStringDetails(S.name, 'x')), { value: 'x', reason: 'ERROR', errorCode: ErrorCode.TYPE_MISMATCH })
    assert.deepEqual(error(await client.getObjectDetails(S.name, { a: 1 })), { value: { a: 1 }, reason: 'ERROR', errorCode: ErrorCode.TYPE_MISMATCH })
    assert.deepEqual(error(await client.getNumberDetails(F.name, 7)), { value: 7, reason: 'ERROR', errorCode: ErrorCode.TYPE_MISMATCH })
    assert.match((await client.getNumberDetails(F.name, 7)).errorMessage, /is a flag, which answers a boolean, not a number/)
    // An attribute that names a group's object must be an id.
    assert.deepEqual(error(await client.getBooleanDetails(F.name, false, { user: { id: 1 } })), { value: false, reason: 'ERROR', errorCode: ErrorCode.INVALID_CONTEXT })
    // In a request whose group function fails: the flag cannot be decided.
    const failed = (await app.inject('/')).json()
    assert.equal(failed.errorCode, ErrorCode.GENERAL)
    assert.equal(failed.value, false)
    assert.match(failed.errorMessage, /no session store/)
  })

  test('the context maps to groups: targetingKey to the first group, attributes by name, or as the options say', async (t) => {
    const F = new Flag(uniqueName('Mapped'), false)
    const app = await buildApp([{ redis: false, groupFuncs: { user: () => undefined, team: () => undefined, org: () => undefined } }])
    t.after(() => app.close())
    await app.pancakes.run(async () => {
      await F.enableGroup('user', 'u1')
      await F.enableGroup('team', 't1')
      await F.enableGroup('org', 'acme')
    })
    const byDefault = (await clientFor(app, {}, t)).client
    assert.equal(await byDefault.getBooleanValue(F.name, false, { targetingKey: 'u1' }), true)
    assert.equal(await byDefault.getBooleanValue(F.name, false, { targetingKey: 'u2' }), false)
    assert.equal(await byDefault.getBooleanValue(F.name, false, { targetingKey: 'u2', team: 't1' }), true)
    assert.equal(await byDefault.getBooleanValue(F.name, false, { targetingKey: 'u2', company: 'acme' }), false)
    assert.equal(await byDefault.getBooleanValue(F.name, false, { targetingKey: 'u2', org: 'acme' }), true)

    const byTeam = (await clientFor(app, { targetingKey: 'team', attributes: { company: 'org' } }, t)).client
    assert.equal(await byTeam.getBooleanValue(F.name, false, { targetingKey: 't1' }), true)
    assert.equal(await byTeam.getBooleanValue(F.name, false, { targetingKey: 'u1' }), false)
    assert.equal(await byTeam.getBooleanValue(F.name, false, { targetingKey: 'x', company: 'acme' }), true)
    // Listed attributes only: `org` is no longer read by name.
    assert.equal(await byTeam.getBooleanValue(F.name, false, { targetingKey: 'x', org: 'acme' }), false)

    const seen = []
    const byFunction = (await clientFor(app, {
      mapContext: (context) => {
        seen.push(context)
        return { org: context.tenant }
      }
    }, t)).client
    assert.equal(await byFunction.getBooleanValue(F.name, false, { targetingKey: 'u1', tenant: 'acme' }), true)
    assert.equal(await byFunction.getBooleanValue(F.name, false, { targetingKey: 'u1', tenant: 'other' }), false)
    assert.equal(seen[0].tenant, 'acme')
  })

  test('options: a bad one throws naming it; a group the instance lacks fails initialization', async (t) => {
    const app = await buildApp([{ redis: false, ...users }])
    t.after(() => app.close())
    assert.throws(() => new PancakeProvider(app, { targetingKey: 42 }), { code: 'FST_PANCAKE_INVALID_OPTION', message: /"targetingKey"/ })
    assert.throws(() => new PancakeProvider(app, { attributes: { company: '' } }), { code: 'FST_PANCAKE_INVALID_OPTION', message: /"attributes"/ })
    assert.throws(() => new PancakeProvider(app, { mapContext: () => ({}), targetingKey: 'user' }), { message: /"mapContext" replaces/ })
    assert.throws(() => new PancakeProvider(app, { instanse: 'x' }), { message: /"instanse" is not an option/ })
    assert.throws(() => new PancakeProvider({ pancakes: undefined }), { message: /register fastify-pancake/ })

    const domain = `pancake-${++domains}`
    t.after(() => unbind(domain))
    await assert.rejects(OpenFeature.setProviderAndWait(domain, new PancakeProvider(app, { targetingKey: 'usr' })), /"targetingKey" names group 'usr'/)
    assert.equal(OpenFeature.getClient(domain).providerStatus, ProviderStatus.ERROR)
  })

  test('in a request, with no context, it answers as isActive() does: the request\'s group functions and sample cookie', async (t) => {
    const F = new Flag(uniqueName('InRequest'), false)
    const R = new Flag(uniqueName('InRequestRolled'), false)
    const P = new Sample(uniqueName('InRequestOdds'), 50)
    const domain = `pancake-${++domains}`
    const app = await buildApp([{ redis: false, ...users }], (app) => {
      app.get('/', async () => {
        const client = OpenFeature.getClient(domain)
        return {
          provider: [await client.getBooleanValue(F.name, false), await client.getBooleanValue(R.name, false), await client.getBooleanValue(P.name, false)],
          direct: [await F.isActive(), await R.isActive(), await P.isActive()]
        }
      })
    })
    t.after(() => app.close())
    await clientFor(app, {}, t, domain)
    await app.pancakes.run(async () => {
      await F.enableGroup('team', 'red')
      await R.setRollout('user', 50)
    })
    const seen = new Set()
    for (let i = 0; i < 30; i++) {
      const response = await app.inject({ url: '/', headers: { 'x-user': `u${i}`, 'x-team': i % 3 === 0 ? 'red' : 'blue' } })
      const { provider, direct } = response.json()
      assert.deepEqual(provider, direct)
      seen.add(JSON.stringify(provider))
      // The provider drew the sample first: the cookie carries its draw.
      const cookies = cookiesOf(response)
      assert.ok(cookies.pancake !== undefined, 'the sample cookie is sent')
      const again = (await app.inject({ url: '/', headers: { 'x-user': `u${i}` }, cookies })).json()
      assert.equal(again.provider[2], provider[2], 'the same draw on the next request')
    }
    assert.ok(seen.size > 2, 'the answers vary with the request')
  })

  test('hooks see the evaluation: before its context, after its details', async (t) => {
    const F = new Flag(uniqueName('Hooked'), false)
    const app = await buildApp([{ redis: false, ...users }])
    t.after(() => app.close())
    const { client } = await clientFor(app, {}, t)
    await app.pancakes.run(() => F.enableGroup('user', 'ann'))
    const seen = []
    client.addHooks({
      before: (hookContext) => { seen.push(['before', hookContext.flagKey, hookContext.context.targetingKey]) },
      after: (_hookContext, details) => { seen.push(['after', details.value, details.reason, details.variant, details.flagMetadata.group]) }
    })
    assert.equal(await client.getBooleanValue(F.name, false, { targetingKey: 'ann' }), true)
    assert.deepEqual(seen, [['before', F.name, 'ann'], ['after', true, 'TARGETING_MATCH', 'on', 'user']])
  })
})

describe('PancakeProvider lifecycle and events', () => {
  test('READY once the app is ready, not before', async (t) => {
    const S = new Switch(uniqueName('Ready'), true)
    const late = Fastify()
    await late.register(cookie, { secret: SECRET })
    await late.register(pancake, { redis: false })
    t.after(() => late.close())
    const domain = `pancake-${++domains}`
    t.after(() => unbind(domain))
    const client = OpenFeature.getClient(domain)
    const ready = new Promise((resolve) => client.addHandler(ProviderEvents.Ready, resolve))
    OpenFeature.setProvider(domain, new PancakeProvider(late))
    // Let the SDK start initializing: it must wait for the app.
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(client.providerStatus, ProviderStatus.NOT_READY)
    assert.equal((await client.getBooleanDetails(S.name, false)).errorCode, ErrorCode.PROVIDER_NOT_READY)
    await late.ready()
    await ready
    assert.equal(client.providerStatus, ProviderStatus.READY)
    assert.equal(await client.getBooleanValue(S.name, false), true)
  })

  test('CONFIGURATION_CHANGED with flagsChanged for local writes, other instances\' and foreign ones', async (t) => {
    const S = new Switch(uniqueName('Changed'), false)
    const F = new Flag(uniqueName('Changed'), false)
    const a = await buildApp([{ redis: redis.client(), staleness: 50, ...users }])
    const b = await buildApp([{ redis: redis.client(), staleness: 50, ...users }])
    t.after(() => Promise.all([a.close(), b.close()]))
    const { client } = await clientFor(b, {}, t)
    const changes = []
    let notify = () => {}
    client.addHandler(ProviderEvents.ConfigurationChanged, (details) => {
      changes.push(details.flagsChanged)
      notify()
    })
    const next = () => new Promise((resolve) => { notify = resolve })

    await subscribers(redis, 2)
    let arrived = next()
    await b.pancakes.run(() => S.enable())
    await arrived
    arrived = next()
    await a.pancakes.run(() => F.enableGroup('user', 'ann'))
    await arrived
    arrived = next()
    await redis.client().set(S.key, '0') // as redis-cli would
    await arrived
    assert.deepEqual(changes, [[S.name], [F.name], [S.name]])
    assert.equal(await client.getBooleanValue(F.name, false, { targetingKey: 'ann' }), true)
  })

  test('STALE while Redis is down, answers from memory meanwhile, READY when it is back', async (t) => {
    const S = new Switch(uniqueName('Stale'), false)
    const client = await redis.connected()
    client.on('error', () => {})
    const app = await buildApp([{ redis: client, ...QUIET }])
    t.after(() => app.close())
    await app.pancakes.run(() => S.enable())
    const of = (await clientFor(app, {}, t)).client
    const stale = new Promise((resolve) => of.addHandler(ProviderEvents.Stale, resolve))
    const closed = once(client, 'close')
    await redis.client().client('KILL', 'ID', String(await client.client('ID')))
    await closed
    const details = await stale
    assert.match(details.message, /not answering/)
    assert.equal(of.providerStatus, ProviderStatus.STALE)
    assert.equal(await of.getBooleanValue(S.name, false), true, 'the last known value')
    // Added now: a READY handler added while the provider is ready runs at once.
    await new Promise((resolve) => of.addHandler(ProviderEvents.Ready, resolve))
    assert.equal(of.providerStatus, ProviderStatus.READY)
  })

  test('ERROR when Redis is not there at startup: defaults answer', async (t) => {
    const S = new Switch(uniqueName('NoRedis'), true)
    const port = await freePort()
    const app = await buildApp([{ redis: `redis://127.0.0.1:${port}`, writeTimeout: 200 }])
    t.after(() => app.close())
    const domain = `pancake-${++domains}`
    t.after(() => unbind(domain))
    await assert.rejects(OpenFeature.setProviderAndWait(domain, new PancakeProvider(app)), /not answering/)
    const client = OpenFeature.getClient(domain)
    assert.equal(client.providerStatus, ProviderStatus.ERROR)
    assert.deepEqual(await client.getBooleanDetails(S.name, false), {
      flagKey: S.name, value: true, variant: 'on', reason: 'DEFAULT', flagMetadata: { kind: 'switch', instance: 'pancake' }
    })
  })

  test('closing the provider stops its events', async (t) => {
    const app = await buildApp([{ redis: false }])
    t.after(() => app.close())
    const { domain } = await clientFor(app, {}, t)
    assert.equal(app.pancakes.listenerCount('change'), 1)
    assert.equal(app.pancakes.listenerCount('health'), 1)
    await unbind(domain)
    assert.equal(app.pancakes.listenerCount('change'), 0)
    assert.equal(app.pancakes.listenerCount('health'), 0)
  })
})
