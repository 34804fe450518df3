// The request scope: checks need no arguments in handlers and hooks, each
// request sees its own request (however its async work interleaves with
// others'), and code outside a request goes through app.pancakes.run.
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, test } from 'node:test'
import { Flag, MemoryStore, Sample, Switch } from '../dist/index.mjs'
import { buildApp, uniqueName } from './helpers/app.mjs'

/** A JSON body that arrives in pieces over several turns of the event loop. */
function slowBody (value) {
  const text = JSON.stringify(value)
  let at = 0
  return new Readable({
    read () {
      setTimeout(() => {
        if (at >= text.length) this.push(null)
        else this.push(text.slice(at, (at += 3)))
      }, 1)
    }
  })
}

describe('the scope in handlers and hooks', () => {
  let app
  const ON = new Switch(uniqueName('on'), true)
  const BETA = new Flag(uniqueName('beta'), false)
  let responded
  const onResponse = new Promise((resolve) => { responded = resolve })
  before(async () => {
    app = await buildApp([{ groupFuncs: { user: (request) => request.headers['x-user'] } }], (app) => {
      app.get('/async', async () => ({ on: await ON.isActive(), beta: await BETA.isActive() }))
      // Not an async function, but returns a promise.
      app.get('/promise', () => ON.isActive().then((on) => ({ on })))
      app.get('/callback', (_request, reply) => {
        ON.isActive().then((on) => reply.send({ on }), (err) => reply.send(err))
      })
      app.get('/timers', async () => {
        await sleep(2)
        await tick()
        const later = await new Promise((resolve, reject) => setTimeout(() => BETA.isActive().then(resolve, reject), 1))
        return { beta: later }
      })
      app.post('/body', async (request) => ({ body: request.body, on: await ON.isActive(), beta: await BETA.isActive() }))
      app.post('/body-hook', {
        preHandler: async (request) => { request.seenInPreHandler = await BETA.isActive() }
      }, async (request) => ({ body: request.body, preHandler: request.seenInPreHandler, handler: await BETA.isActive() }))

      app.get('/hooks', {
        onRequest: async (request) => { request.seen = { onRequest: await ON.isActive() } },
        preParsing: async (request) => { request.seen.preParsing = await ON.isActive() },
        preValidation: async (request) => { request.seen.preValidation = await BETA.isActive() },
        preHandler: [
          async (request) => { request.seen.preHandler = await BETA.isActive() },
          (request, _reply, done) => {
            ON.isActive().then((on) => { request.seen.preHandlerCallback = on; done() }, done)
          }
        ],
        preSerialization: async (request, _reply, payload) => ({ ...payload, preSerialization: await ON.isActive() }),
        onSend: async (request, reply) => { reply.header('x-on-send', String(await BETA.isActive())) },
        onResponse: async () => {
          responded(await BETA.isActive().catch((err) => err.code))
        }
      }, async (request) => ({ ...request.seen, id: request.id }))

      app.get('/error', async () => { throw new Error('boom') })
      app.setErrorHandler(async (err, _request, reply) => {
        reply.code(500).send({ error: err.message, beta: await BETA.isActive() })
      })
    })
    await app.pancakes.run(() => BETA.enableGroup('user', 'alice'))
  })
  after(() => app.close())

  test('an async handler', async () => {
    assert.deepEqual((await app.inject({ url: '/async', headers: { 'x-user': 'alice' } })).json(), { on: true, beta: true })
    assert.deepEqual((await app.inject({ url: '/async', headers: { 'x-user': 'bob' } })).json(), { on: true, beta: false })
  })

  test('a sync handler returning a promise', async () => {
    assert.deepEqual((await app.inject('/promise')).json(), { on: true })
  })

  test('a callback-style handler', async () => {
    assert.deepEqual((await app.inject('/callback')).json(), { on: true })
  })

  test('after timers and immediates inside the handler', async () => {
    assert.deepEqual((await app.inject({ url: '/timers', headers: { 'x-user': 'alice' } })).json(), { beta: true })
  })

  test('a POST with a JSON body', async () => {
    const response = await app.inject({ method: 'POST', url: '/body', headers: { 'x-user': 'alice' }, payload: { a: 1 } })
    assert.deepEqual(response.json(), { body: { a: 1 }, on: true, beta: true })
  })

  test('a POST whose body arrives in pieces, in the handler and in preHandler', async () => {
    for (const url of ['/body', '/body-hook']) {
      const response = await app.inject({
        method: 'POST',
        url,
        headers: { 'x-user': 'alice', 'content-type': 'application/json' },
        payload: slowBody({ hello: 'world', list: [1, 2, 3] })
      })
      assert.equal(response.statusCode, 200, response.body)
      const expected = url === '/body'
        ? { body: { hello: 'world', list: [1, 2, 3] }, on: true, beta: true }
        : { body: { hello: 'world', list: [1, 2, 3] }, preHandler: true, handler: true }
      assert.deepEqual(response.json(), expected)
    }
  })

  test('route hooks from onRequest to onResponse', async () => {
    const response = await app.inject({ url: '/hooks', headers: { 'x-user': 'alice' } })
    assert.equal(response.statusCode, 200, response.body)
    const { id, ...seen } = response.json()
    assert.equal(typeof id, 'string')
    assert.deepEqual(seen, {
      onRequest: true,
      preParsing: true,
      preValidation: true,
      preHandler: true,
      preHandlerCallback: true,
      preSerialization: true
    })
    assert.equal(response.headers['x-on-send'], 'true')
    // onResponse runs after the response is written.
    assert.equal(await onResponse, true)
  })

  test('an error handler', async () => {
    const response = await app.inject({ url: '/error', headers: { 'x-user': 'alice' } })
    assert.equal(response.statusCode, 500)
    assert.deepEqual(response.json(), { error: 'boom', beta: true })
  })
})

test('an onRequest hook added before the plugin runs outside the scope, and the error says so and what to do', async (t) => {
  const ON = new Switch(uniqueName('on'), true)
  let message
  const app = await buildApp([], async (app) => {
    app.addHook('onRequest', async (request) => {
      request.early = await ON.isActive().catch((err) => {
        message = err.message
        return err.code
      })
    })
    await app.register((await import('../dist/index.mjs')).default, {})
    app.addHook('onRequest', async (request) => { request.late = await ON.isActive() })
    app.get('/', async (request) => ({ early: request.early, late: request.late, handler: await ON.isActive() }))
  })
  t.after(() => app.close())
  assert.deepEqual((await app.inject('/')).json(), { early: 'FST_PANCAKE_NO_CONTEXT', late: true, handler: true })
  assert.doesNotMatch(message, /hooks of an app that registered fastify-pancake get the request scope automatically/)
  assert.match(message, /Route handlers, and hooks added after fastify-pancake was registered, run in the request's scope/)
  assert.match(message, /a hook added before it runs outside that scope: register fastify-pancake first, or add the hook after it/)
})

test('50 interleaved requests each see their own user', async (t) => {
  const BETA = new Flag(uniqueName('beta'), false)
  const ODDS = new Sample(uniqueName('odds'), 50)
  // A fixed pseudo-random sequence of waits, so that requests resume in an
  // order unrelated to the one they started in.
  let seed = 7
  const wait = async () => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    const n = seed % 4
    if (n === 0) await tick()
    else if (n === 1) await sleep(seed % 5)
    else if (n === 2) await Promise.resolve()
    else { await tick(); await sleep(1) }
  }
  const calls = new Map()
  const app = await buildApp([{
    groupFuncs: {
      user: async (request) => {
        calls.set(request.id, (calls.get(request.id) ?? 0) + 1)
        await wait()
        return request.headers['x-user']
      },
      parity: async (request) => {
        await wait()
        return Number(request.headers['x-user'].slice(1)) % 3 === 0 ? 'three' : undefined
      }
    },
    random: () => 0.25
  }], (app) => {
    app.get('/', async (request) => {
      await wait()
      const first = await BETA.isActive()
      await wait()
      const odds = await ODDS.isActive()
      await wait()
      const own = await BETA.isActiveGroup('user')
      return { user: request.headers['x-user'], first, again: await BETA.isActive(), own, odds, calls: calls.get(request.id) }
    })
  })
  t.after(() => app.close())
  await app.pancakes.run(async () => {
    // Even users on, multiples of 3 off unless they are even.
    for (let i = 0; i < 50; i += 2) await BETA.enableGroup('user', `u${i}`)
    await BETA.enableGroup('parity', 'three')
  })
  const responses = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    app.inject({ url: '/', headers: { 'x-user': `u${i}` } })))
  responses.forEach((response, i) => {
    const expected = i % 2 === 0 || i % 3 === 0
    assert.deepEqual(response.json(), {
      user: `u${i}`,
      first: expected,
      again: expected,
      own: i % 2 === 0 ? true : null,
      odds: true,
      calls: 1
    }, `u${i}`)
  })
})

test('a definition answers the same way for the rest of a request', async (t) => {
  const ON = new Switch(uniqueName('consistent'), false)
  let release
  const paused = new Promise((resolve) => { release = resolve })
  let reached
  const atPause = new Promise((resolve) => { reached = resolve })
  const app = await buildApp([{}], (app) => {
    app.get('/slow', async () => {
      const before = await ON.isActive()
      reached()
      await paused
      return { before, after: await ON.isActive() }
    })
    app.post('/enable', async () => { await ON.enable() })
  })
  t.after(() => app.close())
  const slow = app.inject('/slow')
  await atPause
  await app.inject({ method: 'POST', url: '/enable' })
  release()
  assert.deepEqual((await slow).json(), { before: false, after: false })
  assert.deepEqual((await app.inject('/slow').then((r) => r.json()).finally(() => {})), { before: true, after: true })
})

test('two apps in one process each use their own store', async (t) => {
  const ON = new Switch(uniqueName('two_apps'), false)
  const route = (app) => { app.get('/', async () => ({ on: await ON.isActive() })) }
  const first = await buildApp([{ store: new MemoryStore() }], route)
  const second = await buildApp([{ store: new MemoryStore() }], route)
  t.after(() => Promise.all([first.close(), second.close()]))
  await first.pancakes.run(() => ON.enable())
  assert.deepEqual((await first.inject('/')).json(), { on: true })
  assert.deepEqual((await second.inject('/')).json(), { on: false })
})

describe('app.pancakes.run', () => {
  test('returns what the function returns, and propagates its errors', async (t) => {
    const app = await buildApp([{}])
    t.after(() => app.close())
    assert.equal(app.pancakes.run(() => 42), 42)
    assert.equal(await app.pancakes.run(async () => 'async'), 'async')
    await assert.rejects(app.pancakes.run(async () => { throw new Error('inside') }), /inside/)
  })

  test('without a request, a flag answers with its global value unless given an object id', async (t) => {
    const BETA = new Flag(uniqueName('beta'), false)
    const called = []
    const app = await buildApp([{ groupFuncs: { user: (request) => { called.push(request.id); return 'alice' } } }])
    t.after(() => app.close())
    await app.pancakes.run(async () => {
      await BETA.enableGroup('user', 'alice')
      assert.equal(await BETA.isActive(), false)
      assert.equal(await BETA.isActiveGroup('user', 'alice'), true)
    })
    assert.deepEqual(called, [])
  })

  test('each run is a scope of its own; inside a request it starts a request-less one', async (t) => {
    const BETA = new Flag(uniqueName('beta'), false)
    const app = await buildApp([{ groupFuncs: { user: () => 'alice' } }], (app) => {
      app.get('/', async () => ({
        request: await BETA.isActive(),
        run: await app.pancakes.run(() => BETA.isActive())
      }))
    })
    t.after(() => app.close())
    await app.pancakes.run(() => BETA.enableGroup('user', 'alice'))
    assert.deepEqual((await app.inject('/')).json(), { request: true, run: false })
  })

  test('outside any scope, checks fail with FST_PANCAKE_NO_CONTEXT and say what to do', async (t) => {
    const ON = new Switch(uniqueName('outside'), true)
    const app = await buildApp([{}])
    t.after(() => app.close())
    await assert.rejects(ON.isActive(), (err) => {
      assert.equal(err.code, 'FST_PANCAKE_NO_CONTEXT')
      assert.equal(err.statusCode, 500)
      assert.match(err.message, /used outside a request/)
      assert.match(err.message, /await app\.pancakes\.run\(\(\) => DEFINITION\.isActive\(\)\)/)
      return true
    })
    // After a request has ended, its scope is not inherited by unrelated code.
    await app.inject('/')
    await assert.rejects(ON.isActive(), { code: 'FST_PANCAKE_NO_CONTEXT' })
  })
})

test('over a real socket, a body sent in pieces keeps the scope', async (t) => {
  const BETA = new Flag(uniqueName('beta'), false)
  const app = await buildApp([{ groupFuncs: { user: (request) => request.headers['x-user'] } }], (app) => {
    app.post('/', {
      preHandler: async (request) => { request.seenInPreHandler = await BETA.isActive() }
    }, async (request) => ({ body: request.body, preHandler: request.seenInPreHandler, handler: await BETA.isActive() }))
  })
  t.after(() => app.close())
  await app.pancakes.run(() => BETA.enableGroup('user', 'alice'))
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const { request } = await import('node:http')
  const body = JSON.stringify({ hello: 'world', padding: 'x'.repeat(64) })
  const response = await new Promise((resolve, reject) => {
    const req = request(`${address}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-user': 'alice' }
    }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => { text += chunk })
      res.on('end', () => resolve({ status: res.statusCode, text }))
    })
    req.on('error', reject)
    // The first piece lets the hooks start; the rest follows later, so body
    // parsing resumes on the socket's own events.
    req.flushHeaders()
    const pieces = body.match(/.{1,10}/g)
    const send = (i) => {
      if (i === pieces.length) return req.end()
      req.write(pieces[i])
      setTimeout(() => send(i + 1), 5)
    }
    send(0)
  })
  assert.equal(response.status, 200, response.text)
  assert.deepEqual(JSON.parse(response.text), { body: JSON.parse(body), preHandler: true, handler: true })
})
