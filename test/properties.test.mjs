// Property-based tests (fast-check) of what crosses a trust boundary: the
// sample cookie a browser sends, values anyone may have left in Redis, the
// routes' parameters and query strings, object ids, and the command line.
// Whatever comes in: no throw, no 5xx, the default or a clear 4xx / exit
// status, and nothing written to Redis. Runs are few, to keep the suite
// fast; PANCAKE_PROPERTY_RUNS=1000 explores further, and a failure prints
// the seed that replays it (fc.assert's `seed`, `path`).
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { after, before, beforeEach, describe, test } from 'node:test'
import cookie from '@fastify/cookie'
import fc from 'fast-check'
import Fastify from 'fastify'
import pancake, { Flag, Sample, Switch, definitions, pancakeRoutes } from '../dist/index.mjs'
import { main } from '../dist/cli/main.js'
import { FIXTURES } from './fixtures/cli/run.mjs'
import { SECRET } from './helpers/app.mjs'
import { redisForThisFile } from './helpers/redis.mjs'

const RUNS = Number(process.env.PANCAKE_PROPERTY_RUNS) || 30
const property = async (prop, runs = RUNS) => { await fc.assert(prop, { numRuns: runs }) }

let admin
const redis = redisForThisFile((redis) => { admin = redis.client() })
beforeEach(async () => {
  definitions.clear()
  await redis.flush()
})

/**
 * Every key of the Redis with its type and content: what "nothing written"
 * compares (not DUMP, whose encoding of a set that grew and shrank back
 * differs).
 */
async function snapshot () {
  const content = {
    string: async (key) => (await admin.getBuffer(key)).toString('hex'),
    list: async (key) => await admin.lrange(key, 0, -1),
    set: async (key) => (await admin.smembers(key)).sort(),
    hash: async (key) => await admin.hgetall(key),
    zset: async (key) => await admin.zrange(key, 0, -1, 'WITHSCORES'),
    stream: async (key) => await admin.xrange(key, '-', '+')
  }
  const state = new Map()
  // The audit trail (PANCAKE:*) is left out: an app records there the values
  // a test writes by hand, as changes made outside the library.
  for (const key of (await admin.keys('*')).filter((key) => !key.startsWith('PANCAKE:')).sort()) {
    const type = await admin.type(key)
    state.set(key, [type, await content[type](key)])
  }
  return state
}

/** A snapshot without the audit trail (streams under PANCAKE:<instance>:audit), which records every write. */
function withoutAudit (state) {
  return new Map([...state].filter(([key]) => !/^PANCAKE:[^:]*:audit/.test(key)))
}

/** Log lines of an app, as written (`raw`) and parsed. */
function logSink () {
  const lines = []
  const stream = new Writable({
    write (chunk, _encoding, done) {
      lines.push({ raw: chunk.toString(), ...JSON.parse(chunk.toString()) })
      done()
    }
  })
  return { lines, logger: { level: 'warn', stream } }
}

/** An app on the test's Redis: @fastify/cookie, fastify-pancake with `options`, the routes at /pancakes. */
async function appWith (options, routes, logger = false) {
  const app = Fastify({ logger })
  await app.register(cookie, { secret: SECRET })
  await app.register(pancake, { redis: redis.url, readTimeout: 1000, ...options })
  await app.register(pancakeRoutes, { prefix: '/pancakes', overview: { public: true } })
  routes(app)
  await app.ready()
  return app
}

// Strings of every kind: any code point, and the ones that mean something
// to JavaScript objects, Redis keys, URLs and JSON.
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf']
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(...PROTOTYPE_KEYS, '', ' ', ':', '*', '?', '%', '%zz', '%E0%A4%A', '\u0000', '\n', '..', '/', 'a:b', '\ufeff', '\u2028')
)

describe('the sample cookie', () => {
  // Drawn afresh, both samples come out inactive (a draw of 90 > 50).
  const random = () => 0.9
  const sign = (value) => cookie.sign(value, SECRET)
  const objectText = (entries) => `{${entries.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(',')}}`
  const outcomeName = fc.oneof(fc.constantFrom('A', 'B', ...PROTOTYPE_KEYS), anyString)
  const object = fc.array(fc.tuple(outcomeName, fc.oneof(fc.boolean(), fc.jsonValue())), { maxLength: 12 }).map(objectText)
  const signedObject = object.map(sign)
  const cookieValue = fc.oneof(
    anyString,
    object, // forged: no signature
    signedObject,
    anyString.map(sign),
    signedObject.chain((signed) => fc.nat({ max: signed.length }).map((length) => signed.slice(0, length))),
    signedObject.map((signed) => signed.replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'))),
    fc.boolean().map((outcome) => cookie.sign(objectText([['A', outcome]]), 'another-secret-of-32-characters-or-more')),
    // Huge: many names, or one long value.
    fc.integer({ min: 100, max: 3000 }).map((count) => sign(objectText(Array.from({ length: count }, (_, i) => [`NAME_${i}`, true])))),
    fc.integer({ min: 1000, max: 20000 }).map((length) => 'x'.repeat(length))
  ).filter((value) => value.isWellFormed()) // a truncation may split a surrogate pair, which no browser sends

  /** What the request should answer for sample `name`: the signed cookie's outcome, else a fresh (inactive) draw. */
  function expected (value, name) {
    const unsigned = cookie.unsign(value, SECRET)
    if (!unsigned.valid) return false
    try {
      const outcomes = JSON.parse(unsigned.value)
      return outcomes !== null && typeof outcomes === 'object' && !Array.isArray(outcomes) && Object.hasOwn(outcomes, name) && typeof outcomes[name] === 'boolean' ? outcomes[name] : false
    } catch {
      return false
    }
  }

  async function cookieApp (t) {
    await admin.mset('SAMPLE:pancake:A', '50', 'SAMPLE:pancake:B', '50')
    const [a, b] = [new Sample('A', 50), new Sample('B', 50)]
    const app = await appWith({ random }, (app) => {
      app.get('/', async () => ({ a: await a.isActive(), b: await b.isActive() }))
    })
    t.after(() => app.close())
    return app
  }

  test('any cookie: 200, the signed outcome or a fresh draw, a valid cookie back, nothing written, no prototype touched', async (t) => {
    const app = await cookieApp(t)
    const before = await snapshot()
    await property(fc.asyncProperty(cookieValue, async (value) => {
      const response = await app.inject({ url: '/', cookies: { pancake: value } })
      assert.equal(response.statusCode, 200)
      const body = { a: expected(value, 'A'), b: expected(value, 'B') }
      assert.deepEqual(response.json(), body)
      const sent = response.cookies.find(({ name }) => name === 'pancake')
      const unsigned = cookie.unsign(sent.value, SECRET)
      assert.equal(unsigned.valid, true)
      const outcomes = JSON.parse(unsigned.value)
      assert.equal(outcomes.A, body.a)
      assert.equal(outcomes.B, body.b)
      assert.equal(Object.getPrototypeOf(outcomes), Object.prototype)
      assert.equal(Object.prototype.A, undefined)
      assert.deepEqual(await snapshot(), before)
    }))
  })

  test('any cookie: the one sent back holds the instance\'s samples only, and stays small', async (t) => {
    const app = await cookieApp(t)
    await property(fc.asyncProperty(cookieValue, async (value) => {
      const response = await app.inject({ url: '/', cookies: { pancake: value } })
      const sent = response.cookies.find(({ name }) => name === 'pancake')
      assert.deepEqual(Object.keys(JSON.parse(cookie.unsign(sent.value, SECRET).value)).sort(), ['A', 'B'])
      assert.ok(response.headers['set-cookie'].length < 4096, `a Set-Cookie of ${response.headers['set-cookie'].length} bytes`)
    }))
  })
})

describe('values in Redis', () => {
  // Stored before each run: none is a default, so an answer shows where it came from.
  const STORED = {
    'SWITCH:pancake:SW': '0',
    'FLAG:pancake:FL': '0',
    'FLAG:pancake:k:user:FL:u1': '1',
    'SAMPLE:pancake:SA': '7'
  }
  const TRACKING = 'FLAG:pancake:t:user:FL'
  const OVERRIDE = 'FLAG:pancake:k:user:FL:u1'
  const TARGETS = [...Object.keys(STORED), TRACKING]

  const text = fc.oneof(
    {
      weight: 2,
      arbitrary: fc.constantFrom('1', '0', '42', '13.0', '100', '0.0', ' 7 ', '1e1', '-0', '101', '-1', 'NaN', 'Infinity', '0x10', '１', '', '1 ', '\u00001', 'true', '+5', '.5', '5.',
        ' ', '0b1', '0o7', '1_0', '\u0663', 'Infinity', '-Infinity', '1e-400', '.', '+', '1.2', '00', '01', '1\n', '\t1', '50%')
    },
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.double().map(String)
  )
  const member = fc.string({ maxLength: 10 })
  const stored = fc.oneof(
    { weight: 4, arbitrary: text.map((value) => ({ type: 'string', value })) },
    fc.uint8Array({ maxLength: 40 }).map((bytes) => ({ type: 'string', value: Buffer.from(bytes) })),
    fc.array(member, { minLength: 1, maxLength: 5 }).map((items) => ({ type: 'list', items })),
    fc.array(member, { minLength: 1, maxLength: 5 }).map((items) => ({ type: 'set', items })),
    fc.array(member, { minLength: 1, maxLength: 5 }).map((items) => ({ type: 'hash', items })),
    fc.array(member, { minLength: 1, maxLength: 5 }).map((items) => ({ type: 'zset', items })),
    fc.array(member, { minLength: 1, maxLength: 5 }).map((items) => ({ type: 'stream', items }))
  )

  async function put (key, thing) {
    await admin.del(key)
    switch (thing.type) {
      case 'string': return await admin.set(key, thing.value)
      case 'list': return await admin.rpush(key, ...thing.items)
      case 'set': return await admin.sadd(key, ...thing.items)
      case 'hash': return await admin.hset(key, ...thing.items.flatMap((item, i) => [`f${i}`, item]))
      case 'zset': return await admin.zadd(key, ...thing.items.flatMap((item, i) => [i, item]))
      case 'stream': for (const item of thing.items) await admin.xadd(key, '*', 'v', item)
    }
  }

  // The answers a request should get, by flask-pancake's encoding: "1"/"0"
  // for switches and flags, a decimal number in [0, 100] for samples;
  // anything else, or another type, reads as absent.
  const raw = (key, things) => {
    const thing = things[key]
    return thing === undefined ? STORED[key] : thing.type === 'string' ? thing.value.toString() : undefined
  }
  const bool = (value) => value === '1' ? true : value === '0' ? false : undefined
  const percent = (value) => {
    if (value === undefined || !/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) return undefined
    const number = Number(value)
    return number >= 0 && number <= 100 ? number + 0 : undefined // -0 is 0 in JSON
  }
  function expected (things) {
    const value = (key) => raw(key, things)
    const global = bool(value('FLAG:pancake:FL')) ?? true
    return {
      sw: bool(value('SWITCH:pancake:SW')) ?? true,
      flAnonymous: global,
      flU1: bool(value(OVERRIDE)) ?? global,
      sa: percent(value('SAMPLE:pancake:SA')) ?? 42
    }
  }

  /** Runs requests against `things` (by key; the others as STORED): right answers, 200s, nothing written. */
  async function check (things, cache, logs) {
    await redis.flush()
    await admin.mset(STORED)
    await admin.sadd(TRACKING, OVERRIDE)
    for (const [key, thing] of Object.entries(things)) await put(key, thing)
    const before = await snapshot()
    definitions.clear()
    const [sw, fl, sa] = [new Switch('SW', true), new Flag('FL', true), new Sample('SA', 42)]
    const app = await appWith({ cache, groupFuncs: { user: (request) => request.query.user } }, (app) => {
      app.get('/', async () => ({ sw: await sw.isActive(), fl: await fl.isActive(), sa: await sa.get(), drawn: typeof await sa.isActive() }))
    }, logs.logger)
    try {
      const anonymous = await app.inject('/')
      const u1 = await app.inject('/?user=u1')
      const want = expected(things)
      assert.equal(anonymous.statusCode, 200)
      assert.deepEqual(anonymous.json(), { sw: want.sw, fl: want.flAnonymous, sa: want.sa, drawn: 'boolean' })
      assert.deepEqual(u1.json(), { sw: want.sw, fl: want.flU1, sa: want.sa, drawn: 'boolean' })
      for (const url of ['/pancakes/overview', '/pancakes/status?user=u1']) {
        for (const accept of ['application/json', 'text/html']) {
          const response = await app.inject({ url, headers: { accept } })
          assert.equal(response.statusCode, 200, `${url} (${accept}): ${response.body}`)
        }
      }
    } finally {
      await app.close()
    }
    assert.deepEqual(await snapshot(), before)
  }

  test('any value of any type at any key: 200, the stored value when valid, else the default; nothing written', async () => {
    // Each key keeps its valid value, or gets any value.
    const things = fc.record(Object.fromEntries(TARGETS.map((key) => [key, stored])), { requiredKeys: [] })
    await property(fc.asyncProperty(things, fc.boolean(), async (things, cache) => {
      const logs = logSink()
      await check(things, cache, logs)
      assert.deepEqual(logs.lines.filter(({ level }) => level >= 50), [])
    }))
  })

  test('a huge value: the default, and a log line of bounded size', async () => {
    await property(fc.asyncProperty(fc.constantFrom(...Object.keys(STORED)), fc.integer({ min: 20_000, max: 200_000 }), fc.boolean(), async (target, length, cache) => {
      const logs = logSink()
      await check({ [target]: { type: 'string', value: '1'.repeat(length) } }, cache, logs)
      const longest = Math.max(0, ...logs.lines.map(({ raw }) => raw.length))
      assert.ok(longest < 8192, `a log line of ${longest} characters`)
    }), 5)
  })
})

describe('the routes\' parameters and query strings', () => {
  async function routesApp (t) {
    const app = Fastify()
    t.after(() => app.close())
    await app.register(cookie, { secret: SECRET })
    for (const name of ['pancake', 'frontend']) {
      await app.register(pancake, { name, redis: redis.url, readTimeout: 1000, groupFuncs: { user: (request) => request.query.user } })
    }
    await app.register(pancakeRoutes, {
      prefix: '/pancakes',
      overview: { onRequest: async (request) => { if (request.headers.authorization !== 'Bearer ok') throw Object.assign(new Error('no'), { statusCode: 401 }) } }
    })
    await app.ready()
    return app
  }

  const segment = fc.oneof(
    fc.constantFrom('pancake', 'frontend').map((name) => ({ name, path: name })),
    anyString.filter((name) => name.isWellFormed()).map((name) => ({ name, path: encodeURIComponent(name) })),
    // Not valid percent-encoding: no instance is named by it.
    fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%80', '%ED%A0%80').map((path) => ({ name: undefined, path }))
  )
  const queryPart = fc.tuple(
    fc.oneof(fc.constantFrom('user', 'user[]', ...PROTOTYPE_KEYS, '__proto__[user]'), anyString),
    fc.oneof(fc.constantFrom('u1', '', '%', '%zz'), anyString)
  ).map(([name, value]) => `${/^[\w[\]]+$/.test(name) ? name : encodeURIComponent(name.toWellFormed())}=${/^(%|%zz|[\w]*)$/.test(value) ? value : encodeURIComponent(value.toWellFormed())}`)
  const query = fc.array(queryPart, { maxLength: 5 }).map((parts) => (parts.length === 0 ? '' : `?${parts.join('&')}`))
  const accept = fc.oneof(
    fc.constantFrom('text/html', 'application/json', '*/*', 'text/html;q=0, application/json', 'text/*;q=0.1'),
    fc.string({ unit: 'binary-ascii', maxLength: 30 }).filter((value) => /^[\x20-\x7e]*$/.test(value))
  )

  test('any instance name, query string and Accept: 200 for a served instance, else 404; never 5xx; nothing written', async (t) => {
    const defined = { pancake: [new Flag('FL', false), new Sample('SA', 50), new Switch('SW', false)], frontend: [new Switch('FRONT', true, 'frontend')] }
    // Stored, so that no check stores a default.
    await admin.mset('FLAG:pancake:FL', '1', 'SAMPLE:pancake:SA', '30', 'SWITCH:pancake:SW', '1', 'SWITCH:frontend:FRONT', '0')
    const app = await routesApp(t)
    const before = await snapshot()
    await property(fc.asyncProperty(fc.constantFrom('status', 'overview'), segment, query, accept, fc.boolean(), async (route, { name, path }, query, accept, authorized) => {
      const response = await app.inject({ url: `/pancakes/${route}/${path}${query}`, headers: { accept, ...(authorized ? { authorization: 'Bearer ok' } : {}) } })
      const served = name === 'pancake' || name === 'frontend'
      // A segment '.' or '..' (encoded or not) is resolved as a URL path
      // before routing, as a browser does.
      if (name === undefined || name === '.' || name === '..') {
        assert.ok([400, 401, 404].includes(response.statusCode), `${response.statusCode}: ${response.body}`)
      } else {
        assert.equal(response.statusCode, route === 'overview' && !authorized ? 401 : served ? 200 : 404, response.body)
      }
      if (response.headers['content-type']?.startsWith('application/json')) {
        const body = JSON.parse(response.body)
        if (response.statusCode === 200) {
          const names = [...body.flags, ...body.samples, ...body.switches].map((definition) => definition.name)
          assert.deepEqual(names, defined[name].map((definition) => definition.name))
        }
      }
      assert.deepEqual(await snapshot(), before)
    }))
  })
})

describe('object ids', () => {
  const OVERRIDDEN = ['alice', '42']
  const id = fc.oneof(
    anyString,
    { weight: 2, arbitrary: fc.constantFrom(...OVERRIDDEN, 42, 42n, 42.0, NaN, Infinity, -Infinity, -0, '') },
    fc.integer(),
    fc.double(),
    fc.bigInt()
  )
  // What a request's id reads as: the store's key is the string of a number.
  const idString = (value) => typeof value === 'string' || typeof value === 'bigint' || typeof value === 'number' ? String(value) : undefined
  // '' and the strings of NaN and ±Infinity name no object.
  const valid = (value) => { const text = idString(value); return text !== undefined && text !== '' && !(typeof value === 'number' && !Number.isFinite(value)) }
  const isClearError = (err) => typeof err?.code === 'string' && err.code.startsWith('FST_PANCAKE_')

  let app
  let flag
  let current
  before(async () => {
    flag = new Flag('FL', false)
    app = await appWith({ groupFuncs: { user: () => current } }, (app) => {
      app.get('/', async () => ({ fl: await flag.isActive() }))
    })
  })
  after(async () => { await app?.close() })

  const setUp = async () => {
    await redis.flush()
    await admin.set('FLAG:pancake:FL', '0')
    await app.pancakes.run(async () => { for (const overridden of OVERRIDDEN) await flag.enableGroup('user', overridden) })
  }

  test('from a group function, any value: 200, the object\'s override or the global value; nothing written', async () => {
    await setUp()
    const before = await snapshot()
    // What a group function may return, often near an overridden id.
    const returned = fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom(...OVERRIDDEN, 42, 42n, 42.0, ['alice'], ['42'], { toString: () => 'alice' }, Object('alice'), ' alice', 'ALICE', 'alice\u0000', true, null, undefined, NaN, '') },
      id,
      fc.anything()
    )
    await property(fc.asyncProperty(returned, async (value) => {
      current = value
      const response = await app.inject('/')
      assert.equal(response.statusCode, 200, response.body)
      assert.deepEqual(response.json(), { fl: valid(value) && OVERRIDDEN.includes(idString(value)) })
      assert.deepEqual(await snapshot(), before)
    }))
  })

  test('given to the API: isActiveGroup answers or fails clearly and writes nothing; disableGroup/clearGroup touch that object only', async (t) => {
    await setUp()
    const before = await snapshot()
    let written = 0
    await property(fc.asyncProperty(id, id, async (a, b) => {
      await app.pancakes.run(async () => {
        // The audit trail of earlier runs' writes included: a read adds nothing to it either.
        const start = await snapshot()
        const read = await flag.isActiveGroup('user', a).catch((err) => err)
        if (read instanceof Error) assert.ok(isClearError(read), read.stack)
        else assert.equal(read, valid(a) && OVERRIDDEN.includes(idString(a)) ? true : null)
        assert.deepEqual(await snapshot(), start)
        if (!valid(a) || !valid(b) || idString(a) === idString(b) || OVERRIDDEN.includes(idString(a))) return
        written++
        await flag.disableGroup('user', a)
        assert.equal(await flag.isActiveGroup('user', a), false)
        assert.equal(await flag.isActiveGroup('user', b), OVERRIDDEN.includes(idString(b)) ? true : null)
        await flag.clearGroup('user', a)
        // What is left is the audit trail's record of those two writes.
        assert.deepEqual(withoutAudit(await snapshot()), withoutAudit(before))
      })
    }))
    t.diagnostic(`${written} runs wrote an override and cleared it`)
  })
})

describe('the command line', () => {
  const WORDS = [
    'flags', 'samples', 'switches', 'list', 'list-group', 'enable', 'disable', 'clear', 'enable-group', 'disable-group', 'clear-group', 'set',
    'DO_SOMETHING_ELSE', 'FOO_CAN_DO', 'MY_ODDS', 'NEW_CHECKOUT', 'MAINTENANCE', 'ADMIN_ONLY', 'user', 'company', 'admin', 'nope',
    '42', '-1', '13.5', '1e400', '101', 'NaN', '', '-', '--', '--json', '--help', '-h', '--version', '--no-color', '--extension', '--pancake',
    '--timeout', '0', '--json=1', '--extension=admin', '--unknown', '-x', '-hx'
  ]
  // Anything but another app: --app is the one option that runs code.
  const word = fc.oneof(fc.constantFrom(...WORDS), anyString).filter((arg) => !/^--app\b/.test(arg))
  // Mostly commands as they are meant, with arguments of any kind, a word
  // replaced now and then, and options anywhere: many get past the parser.
  const id = fc.oneof(fc.constantFrom('42', '-1', 'alice', 'a:b', ''), word)
  const commandLine = fc.tuple(
    fc.oneof(
      fc.tuple(fc.constantFrom('switches', 'flags', 'samples'), fc.constant('list')),
      fc.tuple(fc.constant('switches'), fc.constantFrom('enable', 'disable', 'clear'), fc.constantFrom('MAINTENANCE', 'NEW_CHECKOUT', 'ADMIN_ONLY')),
      fc.tuple(fc.constant('flags'), fc.constantFrom('enable', 'disable', 'clear'), fc.constantFrom('FOO_CAN_DO', 'DO_SOMETHING_ELSE', 'ADMIN_BETA')),
      fc.tuple(fc.constant('flags'), fc.constant('list-group'), fc.constantFrom('user', 'company', 'team'), id),
      fc.tuple(fc.constant('flags'), fc.constantFrom('enable-group', 'disable-group', 'clear-group'), fc.constantFrom('FOO_CAN_DO', 'ADMIN_BETA'), fc.constantFrom('user', 'company', 'team'), id),
      fc.tuple(fc.constant('samples'), fc.constant('set'), fc.constantFrom('MY_ODDS', 'ADMIN_ODDS'), fc.oneof(fc.constantFrom('0', '13', '13.5', '100', '101', '-1', '1e400', 'NaN', '0x10', ' 5'), word)),
      fc.tuple(fc.constant('samples'), fc.constant('clear'), fc.constantFrom('MY_ODDS', 'HALF'))
    ),
    fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.tuple(fc.nat(), word) }),
    fc.subarray(['--json', '--no-color', '--extension=admin', '--pancake', 'admin', '--timeout=5000', '--help', '--', '--unknown'], { maxLength: 2 }),
    fc.nat()
  ).map(([command, replaced, options, at]) => {
    const line = [...command]
    if (replaced !== null) line[replaced[0] % line.length] = replaced[1]
    line.splice(at % (line.length + 1), 0, ...options)
    return line
  })

  /** Whether `--json` is an option of the line (not an option's value, nor after `--`). */
  const asJson = (args) => {
    const end = args.includes('--') ? args.indexOf('--') : args.length
    return args.slice(0, end).some((arg, i) => arg === '--json' && !['--app', '--extension', '--pancake', '--timeout'].includes(args[i - 1]))
  }

  const STORED = {
    'FLAG:pancake:DO_SOMETHING_ELSE': '0',
    'FLAG:pancake:FOO_CAN_DO': '1',
    'SAMPLE:pancake:MY_ODDS': '13',
    'SAMPLE:pancake:HALF': '7',
    'SWITCH:pancake:NEW_CHECKOUT': '0',
    'SWITCH:pancake:MAINTENANCE': '1',
    'FLAG:admin:ADMIN_BETA': '1',
    'SAMPLE:admin:ADMIN_ODDS': '9',
    'SWITCH:admin:ADMIN_ONLY': '0'
  }

  async function pancakeCli (args) {
    let stdout = ''
    let stderr = ''
    const code = await main(['--app', 'factory.mjs', ...args], {
      stdout: { write: (text) => { stdout += text } },
      stderr: { write: (text) => { stderr += text } },
      env: { PANCAKE_TEST_REDIS: redis.url },
      cwd: FIXTURES
    })
    return { code, stdout, stderr }
  }

  test('any arguments: exit 0, 1 or 2, a message on failure, no crash, nothing written unless it succeeded', async (t) => {
    const rejections = []
    const onRejection = (err) => { rejections.push(err) }
    process.on('unhandledRejection', onRejection)
    // The fixture app runs in this process, and finds its Redis here.
    process.env.PANCAKE_TEST_REDIS = redis.url
    const outcomes = new Map()
    try {
      await property(fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: commandLine }, { weight: 1, arbitrary: fc.array(word, { maxLength: 6 }) }), async (args) => {
        await redis.flush()
        // Every definition of the fixture app stored, so that loading the
        // app stores no default: what changes is what the command did.
        await admin.mset(STORED)
        const before = await snapshot()
        const { code, stderr } = await pancakeCli(args)
        outcomes.set(code, (outcomes.get(code) ?? 0) + 1)
        assert.ok([0, 1, 2].includes(code), `exit ${code}: ${stderr}`)
        assert.doesNotMatch(stderr, /\n\s+at /, 'a stack trace')
        if (code !== 0) {
          assert.match(stderr, /\S/)
          assert.deepEqual(await snapshot(), before)
          // With --json, the failure comes with its code: one of the library's.
          if (asJson(args)) assert.match(JSON.parse(stderr).error.code, /^FST_PANCAKE_/, stderr)
        }
      }))
      assert.deepEqual(rejections, [])
    } finally {
      process.off('unhandledRejection', onRejection)
      delete process.env.PANCAKE_TEST_REDIS
    }
    t.diagnostic(`exit statuses: ${JSON.stringify(Object.fromEntries(outcomes))}`)
  })
})
