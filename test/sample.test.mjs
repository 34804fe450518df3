// Samples: flask-pancake's tests/test_samples.py, the draw boundaries, the
// per-request memo and the signed cookie of SPEC §5.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Sample, Switch } from '../dist/index.mjs'
import { buildApp, cookiesOf, SECRET, uniqueName } from './helpers/app.mjs'
import { redisForThisFile } from './helpers/redis.mjs'
import { build, raw, storeKinds } from './helpers/stores.mjs'
import cookie from '@fastify/cookie'

const redis = redisForThisFile()

/**
 * A `random` option the test steers: `draws.next` is what the next draw
 * returns, `draws.count` how many were made.
 */
function steered (next = 0) {
  const draws = { next, count: 0 }
  draws.random = () => {
    draws.count++
    return draws.next
  }
  return draws
}

/** The smallest double above x. */
function nextUp (x) {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  view.setBigUint64(0, view.getBigUint64(0) + 1n)
  return view.getFloat64(0)
}

const unsign = (value) => cookie.unsign(value, SECRET)
const sign = (value) => cookie.sign(value, SECRET)

for (const [storeName, storeOptions] of Object.entries(storeKinds(redis))) {
  describe(`Sample on the ${storeName} store`, () => {
    test('draws against the stored value, storing the default first', async (t) => {
      const draws = steered()
      const app = await build(storeOptions, { random: draws.random })
      t.after(() => app.close())
      const feature = new Sample(uniqueName('feature'), 42)
      const stored = () => raw(app, feature.key)
      assert.equal(await stored(), null)

      draws.next = 42.00001 / 100
      assert.equal(await app.pancakes.run(() => feature.isActive()), false)
      assert.equal(await stored(), '42')

      draws.next = 42 / 100
      assert.equal(await app.pancakes.run(() => feature.isActive()), true)

      await app.pancakes.run(() => feature.set(10))
      assert.equal(await stored(), '10')
      assert.equal(await app.pancakes.run(() => feature.isActive()), false)
      assert.equal(await app.pancakes.run(() => feature.get()), 10)

      await app.pancakes.run(() => feature.clear())
      assert.equal(await stored(), null)
      assert.equal(await app.pancakes.run(() => feature.get()), 42)
      assert.equal(await stored(), '42')
    })

    test('an outcome holds for the rest of the scope, even when the value changes', async (t) => {
      const draws = steered(0.99)
      const app = await build(storeOptions, { random: draws.random })
      t.after(() => app.close())
      const feature = new Sample(uniqueName('feature'), 100)
      await app.pancakes.run(async () => {
        assert.equal(await feature.isActive(), true)
        await feature.set(0)
        assert.equal(await feature.isActive(), true)
        assert.equal(await feature.get(), 0)
      })
      draws.next = 0.42
      assert.equal(await app.pancakes.run(() => feature.isActive()), false)
    })

    test('stores values as decimal strings', async (t) => {
      const app = await build(storeOptions)
      t.after(() => app.close())
      const feature = new Sample(uniqueName('feature'), 13.5)
      const stored = () => raw(app, feature.key)
      assert.equal(await app.pancakes.run(() => feature.get()), 13.5)
      assert.equal(await stored(), '13.5')
      for (const [value, encoded] of [[0, '0'], [100, '100'], [0.25, '0.25'], [99.999, '99.999']]) {
        await app.pancakes.run(() => feature.set(value))
        assert.equal(await stored(), encoded)
        assert.equal(await app.pancakes.run(() => feature.get()), value)
      }
    })
  })
}

describe('Sample draw boundaries (r == value is active)', () => {
  let app
  let draws
  before(async () => {
    draws = steered()
    app = await buildApp([{ random: draws.random }])
  })
  after(() => app.close())

  const outcome = async (feature, next) => {
    draws.next = next
    return await app.pancakes.run(() => feature.isActive())
  }

  // Among them the values whose v/100*100 is not v in binary floating point.
  for (const value of [0.5, 1, 7, 13, 14, 28, 42, 55, 56, 57, 99.99]) {
    test(`value ${value}: a draw of exactly ${value} is active, the next double above is not`, async () => {
      const feature = new Sample(uniqueName('edge'), value)
      assert.equal(await outcome(feature, value / 100), true)
      assert.equal(await outcome(feature, nextUp(value / 100)), false)
      assert.equal(await outcome(feature, 0), true)
    })
  }

  test('value 0: only a draw of exactly 0 is active', async () => {
    const feature = new Sample(uniqueName('zero'), 0)
    assert.equal(await outcome(feature, 0), true)
    assert.equal(await outcome(feature, Number.MIN_VALUE), false)
    assert.equal(await outcome(feature, 0.5), false)
  })

  test('value 100: every draw is active', async () => {
    const feature = new Sample(uniqueName('hundred'), 100)
    assert.equal(await outcome(feature, 1 - Number.EPSILON / 2), true)
    assert.equal(await outcome(feature, 1), true)
    assert.equal(await outcome(feature, 0), true)
  })
})

describe('Sample in requests', () => {
  test('is drawn once per request however often it is checked', async (t) => {
    const draws = steered(0.3)
    const feature = new Sample(uniqueName('memo'), 50)
    const other = new Sample(uniqueName('other'), 50)
    const app = await buildApp([{ random: draws.random }], (app) => {
      app.get('/', async () => {
        const seen = [await feature.isActive()]
        draws.next = 0.9
        seen.push(await feature.isActive(), await feature.isActive())
        return seen
      })
      app.get('/two', async () => [await feature.isActive(), await other.isActive(), await feature.isActive()])
    })
    t.after(() => app.close())
    assert.deepEqual((await app.inject('/')).json(), [true, true, true])
    assert.equal(draws.count, 1)
    draws.next = 0.3
    assert.deepEqual((await app.inject('/two')).json(), [true, true, true])
    assert.equal(draws.count, 3)
  })

  test('the cookie carries outcomes across requests: the second request draws nothing', async (t) => {
    const draws = steered(0)
    const feature = new Sample(uniqueName('roundtrip'), 50)
    const app = await buildApp([{ random: draws.random }], (app) => {
      app.get('/', async () => ({ active: await feature.isActive() }))
    })
    t.after(() => app.close())

    const first = await app.inject('/')
    assert.deepEqual(first.json(), { active: true })
    assert.equal(draws.count, 1)
    const jar = cookiesOf(first)
    assert.deepEqual(Object.keys(jar), ['pancake'])
    const unsigned = unsign(jar.pancake)
    assert.equal(unsigned.valid, true)
    assert.deepEqual(JSON.parse(unsigned.value), { [feature.name]: true })

    // Any new draw would now be inactive, and so would the stored value.
    draws.next = 0.99
    await app.pancakes.run(() => feature.set(0))
    const second = await app.inject({ url: '/', cookies: jar })
    assert.deepEqual(second.json(), { active: true })
    assert.equal(draws.count, 1)
    assert.deepEqual(JSON.parse(unsign(cookiesOf(second).pancake).value), { [feature.name]: true })

    // Without the cookie, a fresh draw.
    assert.deepEqual((await app.inject('/')).json(), { active: false })
    assert.equal(draws.count, 2)
  })

  test('outcomes of several samples accumulate in one cookie', async (t) => {
    const draws = steered(0)
    const a = new Sample(uniqueName('a'), 50)
    const b = new Sample(uniqueName('b'), 50)
    const app = await buildApp([{ random: draws.random }], (app) => {
      app.get('/a', async () => ({ active: await a.isActive() }))
      app.get('/b', async () => ({ active: await b.isActive() }))
    })
    t.after(() => app.close())
    const first = await app.inject('/a')
    draws.next = 0.99
    const second = await app.inject({ url: '/b', cookies: cookiesOf(first) })
    assert.deepEqual(second.json(), { active: false })
    assert.deepEqual(JSON.parse(unsign(cookiesOf(second).pancake).value), { [a.name]: true, [b.name]: false })
  })

  describe('a bad cookie is ignored: 200 and a fresh draw', () => {
    let app
    let draws
    let feature
    before(async () => {
      draws = steered(0.99)
      feature = new Sample(uniqueName('bad_cookie'), 50)
      app = await buildApp([{ random: draws.random }], (app) => {
        app.get('/', async () => ({ active: await feature.isActive() }))
      })
    })
    after(() => app.close())

    const cases = {
      tampered: () => {
        // A signed "inactive", edited to say "active" under the old signature.
        const signed = sign(JSON.stringify({ [feature.name]: false }))
        return signed.replace('false', 'true')
      },
      'signed with another secret': () => cookie.sign(JSON.stringify({ [feature.name]: true }), 'another-secret-of-32-characters-or-more'),
      unsigned: () => JSON.stringify({ [feature.name]: true }),
      'malformed JSON': () => sign('{"oops": tru'),
      'a JSON array': () => sign('[true]'),
      'a JSON string': () => sign('"yes"'),
      'JSON null': () => sign('null'),
      'a JSON number': () => sign('42'),
      'a non-boolean outcome': () => sign(JSON.stringify({ [feature.name]: 'yes' })),
      'an empty value': () => '',
      garbage: () => '%%%\u00ff.'
    }
    for (const [name, make] of Object.entries(cases)) {
      test(name, async () => {
        const before = draws.count
        const response = await app.inject({ url: '/', cookies: { pancake: make() } })
        assert.equal(response.statusCode, 200)
        assert.deepEqual(response.json(), { active: false })
        assert.equal(draws.count, before + 1)
        // The answer replaces the bad cookie with a good one.
        assert.deepEqual(JSON.parse(unsign(cookiesOf(response).pancake).value), { [feature.name]: false })
      })
    }
  })

  test("a signed cookie keeps only outcomes of the instance's samples: 2,000 others, prototype keys and another instance's are dropped", async (t) => {
    const draws = steered(0.99)
    const feature = new Sample(uniqueName('known'), 50)
    const elsewhere = new Sample(uniqueName('elsewhere'), 50, 'omlet')
    const app = await buildApp([{ random: draws.random }], (app) => {
      app.get('/', async () => ({ active: await feature.isActive() }))
    })
    t.after(() => app.close())
    const forged = {}
    for (let i = 0; i < 2000; i++) forged[`UNKNOWN_SAMPLE_${i}`] = i % 2 === 0
    const outcomes = JSON.stringify({ ...forged, [elsewhere.name]: true, [feature.name]: true })
      .replace(/^\{/, '{"__proto__":true,"constructor":false,"toString":true,')
    const response = await app.inject({ url: '/', cookies: { pancake: sign(outcomes) } })
    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), { active: true })
    assert.equal(draws.count, 0)
    const sent = [response.headers['set-cookie']].flat()
    assert.equal(sent.length, 1)
    assert.ok(sent[0].length < 200, `Set-Cookie of ${sent[0].length} characters`)
    assert.deepEqual(JSON.parse(unsign(cookiesOf(response).pancake).value), { [feature.name]: true })
  })

  for (const [lifetime, cookieOptions] of [['maxAge', { maxAge: 3600 }], ['expires', { expires: new Date(Date.now() + 86_400_000) }]]) {
    test(`with cookieOptions.${lifetime}, every answer to a request that brought the cookie renews it, as flask-pancake does`, async (t) => {
      const draws = steered(0)
      const feature = new Sample(uniqueName('renewed'), 50)
      const app = await buildApp([{ random: draws.random, cookieOptions }], (app) => {
        app.get('/sample', async () => ({ active: await feature.isActive() }))
        app.get('/nothing', async () => 'ok')
      })
      t.after(() => app.close())
      const jar = cookiesOf(await app.inject('/sample'))
      for (const url of ['/nothing', '/missing']) {
        const renewed = await app.inject({ url, cookies: jar })
        const sent = [renewed.headers['set-cookie']].flat()
        assert.equal(sent.length, 1, url)
        assert.match(sent[0], lifetime === 'maxAge' ? /; Max-Age=3600(;|$)/ : /; Expires=/, url)
        assert.deepEqual(JSON.parse(unsign(cookiesOf(renewed).pancake).value), { [feature.name]: true }, url)
      }
      assert.equal(draws.count, 1)
      // Nothing to renew: no cookie, a bad one, or one without any of the instance's outcomes.
      for (const cookies of [{}, { pancake: 'garbage' }, { pancake: sign('{"OTHER":true}') }]) {
        assert.equal((await app.inject({ url: '/nothing', cookies })).headers['set-cookie'], undefined)
      }
    })
  }

  test('without a lifetime (a session cookie), an answer that checked no sample sends no cookie, even to a request that brought one', async (t) => {
    const feature = new Sample(uniqueName('session'), 50)
    const app = await buildApp([{}], (app) => {
      app.get('/sample', async () => ({ active: await feature.isActive() }))
      app.get('/nothing', async () => 'ok')
    })
    t.after(() => app.close())
    const jar = cookiesOf(await app.inject('/sample'))
    assert.equal((await app.inject({ url: '/nothing', cookies: jar })).headers['set-cookie'], undefined)
  })

  test('cookie attributes: HttpOnly, SameSite=Lax, Path=/ by default', async (t) => {
    const feature = new Sample(uniqueName('attributes'), 50)
    const app = await buildApp([{}], (app) => {
      app.get('/', async () => ({ active: await feature.isActive() }))
    })
    t.after(() => app.close())
    const response = await app.inject('/')
    const header = [response.headers['set-cookie']].flat()
    assert.equal(header.length, 1)
    assert.match(header[0], /^pancake=/)
    assert.match(header[0], /; HttpOnly(;|$)/)
    assert.match(header[0], /; SameSite=Lax(;|$)/)
    assert.match(header[0], /; Path=\/(;|$)/)
    assert.doesNotMatch(header[0], /Secure|Max-Age|Expires|Domain/)
  })

  test('cookieOptions are passed through over the defaults', async (t) => {
    const feature = new Sample(uniqueName('options'), 50)
    const app = await buildApp([{ cookieOptions: { secure: true, maxAge: 3600, domain: 'example.com', path: '/app', sameSite: 'strict' } }], (app) => {
      app.get('/', async () => ({ active: await feature.isActive() }))
    })
    t.after(() => app.close())
    const [header] = [(await app.inject('/')).headers['set-cookie']].flat()
    for (const attribute of ['Secure', 'Max-Age=3600', 'Domain=example.com', 'Path=/app', 'SameSite=Strict', 'HttpOnly']) {
      assert.match(header, new RegExp(`; ${attribute}(;|$)`), attribute)
    }
  })

  test('cookieName names the cookie; a cookie of another name is not read', async (t) => {
    const draws = steered(0)
    const feature = new Sample(uniqueName('named'), 50)
    const app = await buildApp([{ cookieName: 'pc', random: draws.random }], (app) => {
      app.get('/', async () => ({ active: await feature.isActive() }))
    })
    t.after(() => app.close())
    const first = await app.inject('/')
    assert.deepEqual(Object.keys(cookiesOf(first)), ['pc'])
    draws.next = 0.99
    const renamed = { pancake: cookiesOf(first).pc }
    assert.deepEqual((await app.inject({ url: '/', cookies: renamed })).json(), { active: false })
    assert.deepEqual((await app.inject({ url: '/', cookies: cookiesOf(first) })).json(), { active: true })
  })

  test('no Set-Cookie when the request checked no sample', async (t) => {
    const feature = new Sample(uniqueName('unchecked'), 50)
    const gate = new Switch(uniqueName('gate'), true)
    const app = await buildApp([{}], (app) => {
      app.get('/switch', async () => ({ active: await gate.isActive() }))
      app.get('/get', async () => ({ value: await feature.get() }))
      app.get('/nothing', async () => 'ok')
    })
    t.after(() => app.close())
    for (const url of ['/switch', '/get', '/nothing']) {
      assert.equal((await app.inject(url)).headers['set-cookie'], undefined, url)
    }
  })

  test('one Set-Cookie per response, carrying every draw of the request, beside the app\'s own cookies', async (t) => {
    const draws = steered(0)
    const a = new Sample(uniqueName('first'), 50)
    const b = new Sample(uniqueName('second'), 50)
    const app = await buildApp([{ random: draws.random }], (app) => {
      app.get('/', async (request, reply) => {
        reply.setCookie('before', '1')
        const first = await a.isActive()
        draws.next = 0.99
        reply.header('set-cookie', 'raw=1; Path=/')
        const second = await b.isActive()
        reply.setCookie('after', '2')
        return { first, second }
      })
      app.get('/only', async () => {
        draws.next = 0
        const first = await a.isActive()
        draws.next = 0.99
        return { first, second: await b.isActive() }
      })
    })
    t.after(() => app.close())
    for (const url of ['/', '/only']) {
      const response = await app.inject(url)
      assert.deepEqual(response.json(), { first: true, second: false })
      const headers = [response.headers['set-cookie']].flat()
      const ours = headers.filter((header) => header.startsWith('pancake='))
      assert.equal(ours.length, 1, url)
      assert.deepEqual(JSON.parse(unsign(cookiesOf(response).pancake).value), { [a.name]: true, [b.name]: false })
      assert.deepEqual(response.cookies.map(({ name }) => name).sort(), url === '/' ? ['after', 'before', 'pancake', 'raw'] : ['pancake'])
    }
  })

  test('a cookie value is verified once, however many requests bring it', async (t) => {
    const draws = steered(0)
    const feature = new Sample(uniqueName('verified'), 50)
    const app = await buildApp([{ random: draws.random }], (app) => {
      app.get('/', async () => ({ active: await feature.isActive() }))
    })
    t.after(() => app.close())
    let unsigned = 0
    const unsignCookie = app.unsignCookie
    app.unsignCookie = (value) => {
      unsigned++
      return unsignCookie(value)
    }
    const jar = cookiesOf(await app.inject('/'))
    draws.next = 0.99
    for (let i = 0; i < 3; i++) {
      const response = await app.inject({ url: '/', cookies: jar })
      assert.deepEqual(response.json(), { active: true })
      assert.deepEqual(cookiesOf(response), jar)
    }
    assert.equal(unsigned, 1)
    assert.equal(draws.count, 1)
    // Another value is verified once too, and so is a tampered one, which
    // stays without effect: each request with it draws afresh.
    const other = sign(JSON.stringify({ [feature.name]: false }))
    const tampered = other.replace('false', 'true')
    for (let i = 0; i < 2; i++) {
      assert.deepEqual((await app.inject({ url: '/', cookies: { pancake: other } })).json(), { active: false })
      assert.deepEqual((await app.inject({ url: '/', cookies: { pancake: tampered } })).json(), { active: false })
    }
    assert.equal(unsigned, 3)
    assert.equal(draws.count, 3)
  })

  test('secure: \'auto\' makes the cookie Secure over https only', async (t) => {
    const feature = new Sample(uniqueName('auto'), 50)
    const app = await buildApp([{ cookieOptions: { secure: 'auto' } }], (app) => {
      app.get('/', async () => ({ active: await feature.isActive() }))
    }, { trustProxy: true })
    t.after(() => app.close())
    const header = async (proto) => [(await app.inject({ url: '/', headers: { 'x-forwarded-proto': proto } })).headers['set-cookie']].flat()
    for (let i = 0; i < 2; i++) {
      const [https] = await header('https')
      const [http] = await header('http')
      assert.match(https, /; Secure(;|$)/)
      assert.doesNotMatch(http, /Secure/)
    }
  })

  test('each instance keeps its outcomes in its own cookie', async (t) => {
    const draws = steered(0)
    const main = new Sample(uniqueName('main'), 50)
    const other = new Sample(uniqueName('other'), 50, 'omlet')
    const app = await buildApp([{ random: draws.random }, { name: 'omlet', random: () => 0.99 }], (app) => {
      app.get('/', async () => ({ main: await main.isActive(), other: await other.isActive() }))
      app.get('/main', async () => ({ main: await main.isActive() }))
    })
    t.after(() => app.close())
    const response = await app.inject('/')
    assert.deepEqual(response.json(), { main: true, other: false })
    const jar = cookiesOf(response)
    assert.deepEqual(Object.keys(jar).sort(), ['omlet', 'pancake'])
    assert.deepEqual(JSON.parse(unsign(jar.pancake).value), { [main.name]: true })
    assert.deepEqual(JSON.parse(unsign(jar.omlet).value), { [other.name]: false })
    // Only the instance whose sample was checked sends its cookie.
    assert.deepEqual(Object.keys(cookiesOf(await app.inject('/main'))), ['pancake'])
  })
})

describe('Sample definition', () => {
  test('key upper-cases the name, not the instance', () => {
    const name = uniqueName('my-sample')
    assert.equal(new Sample(name, 42).key, `SAMPLE:pancake:${name.toUpperCase()}`)
    assert.equal(new Sample(name, 42, 'scopy').key, `SAMPLE:scopy:${name.toUpperCase()}`)
  })

  test('keeps its name, default and instance', () => {
    const name = uniqueName('props')
    const feature = new Sample(name, 12.5, 'omlet')
    assert.deepEqual([feature.name, feature.default, feature.instance], [name, 12.5, 'omlet'])
  })

  for (const bad of [NaN, -1, 101, '50', -0.000001, 100.00001, Infinity, -Infinity, true, null, undefined]) {
    test(`rejects the default ${typeof bad === 'string' ? JSON.stringify(bad) : String(bad)}`, () => {
      assert.throws(() => new Sample('X', bad), {
        code: 'FST_PANCAKE_INVALID_DEFAULT',
        message: 'Default value for sample X must be in the range [0, 100].'
      })
    })
  }

  test('set rejects a value out of range, NaN, ±Infinity or a non-number, and writes nothing', async (t) => {
    const app = await buildApp([{}])
    t.after(() => app.close())
    const feature = new Sample(uniqueName('X'), 42)
    await app.pancakes.run(() => feature.set(7))
    for (const bad of [-0.000001, 100.00001, -1, 101, NaN, Infinity, -Infinity, '50', null, undefined, {}]) {
      await app.pancakes.run(async () => {
        await assert.rejects(feature.set(bad), {
          code: 'FST_PANCAKE_INVALID_VALUE',
          message: `Value for sample ${feature.name} must be in the range [0, 100].`
        })
      })
    }
    assert.equal(await app.pancakes.run(() => feature.get()), 7)
  })

  test('every operation outside a request fails, saying to use app.pancakes.run', async () => {
    const feature = new Sample(uniqueName('no_context'), 42)
    for (const operation of ['isActive', 'get', 'set', 'clear']) {
      await assert.rejects(feature[operation](50), (err) => {
        assert.equal(err.code, 'FST_PANCAKE_NO_CONTEXT', operation)
        assert.match(err.message, new RegExp(`^Sample '${feature.name}' was used outside a request\\.`))
        assert.match(err.message, /app\.pancakes\.run\(/)
        return true
      })
    }
  })
})
