// Sharing one Redis with flask-pancake 0.5.2. Python cannot run here, so its
// side is played at the key level, command for command as flask-pancake
// (through redis-py) issues them: SETNX of int(default) or the sample default,
// GET compared with b"1", SET of 1/0 or of a float's repr, SADD/SREM on the
// tracking set, float() of a sample value.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { definitions, Flag, Sample, Switch } from '../dist/index.mjs'
import { buildApp, captureLogs, uniqueName } from './helpers/app.mjs'
import { redisForThisFile } from './helpers/redis.mjs'

let client
const redis = redisForThisFile(async (redis) => { client = await redis.connected() })

// flask-pancake's side below spells keys with a name as given; an
// upper-case name is spelled the same in the keys of both sides.
const uniqueUpperName = (base) => uniqueName(base).toUpperCase()

/** flask-pancake's side of the shared Redis, for the default extension. */
const python = {
  // BaseFlag.enable/disable: SET key 1|0
  enable: (key) => client.set(key, 1),
  disable: (key) => client.set(key, 0),
  // Flag.enable_group: SADD tracking object_key; SET object_key 1
  async enableGroup (flag, group, objectId, value = 1) {
    const objectKey = `FLAG:pancake:k:${group}:${flag}:${objectId}`
    await client.sadd(`FLAG:pancake:t:${group}:${flag}`, objectKey)
    await client.set(objectKey, value)
  },
  // Sample.set: SET key value, a Python float written as its repr
  setSample: (name, repr) => client.set(`SAMPLE:pancake:${name}`, repr),
  // BaseFlag.is_active: SETNX key int(default); GET key == b"1"
  async isActive (key, defaultValue) {
    await client.setnx(key, defaultValue ? 1 : 0)
    return (await client.get(key)) === '1'
  },
  // Flag.is_active: the first group whose object key holds b"1"/b"0", else global
  async flagIsActive (flag, defaultValue, ids) {
    for (const [group, objectId] of ids) {
      if (objectId === undefined) continue
      const value = await client.get(`FLAG:pancake:k:${group}:${flag}:${objectId}`)
      if (value === '1') return true
      if (value === '0') return false
    }
    return await python.isActive(`FLAG:pancake:${flag}`, defaultValue)
  },
  // Flag.is_active_group
  async isActiveGroup (flag, group, objectId) {
    const value = await client.get(`FLAG:pancake:k:${group}:${flag}:${objectId}`)
    return value === '1' ? true : value === '0' ? false : null
  },
  // Sample.get: SETNX key default; float(GET key)
  async sampleGet (name, defaultValue) {
    await client.setnx(`SAMPLE:pancake:${name}`, defaultValue)
    return pythonFloat(await client.get(`SAMPLE:pancake:${name}`))
  }
}

/** Python's float() of a string, for the strings at stake here. */
function pythonFloat (text) {
  if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(text)) throw new Error(`ValueError: could not convert string to float: '${text}'`)
  return Number(text)
}

const userAndGroup = { user: (request) => request.headers['x-user'], group: (request) => request.headers['x-group'] }

/** An app reading the shared Redis; built after Python's writes so that what it loads at start is theirs. */
async function nodeApp (options = {}, setup = () => {}, fastifyOptions = {}) {
  return await buildApp([{ redis: client, groupFuncs: userAndGroup, ...options }], setup, fastifyOptions)
}

describe('what flask-pancake writes, this library reads', () => {
  test('switches: "1" and "0" override the defaults', async (t) => {
    const on = new Switch(uniqueUpperName('py_on'), false)
    const off = new Switch(uniqueUpperName('py_off'), true)
    await python.enable(on.key)
    await python.disable(off.key)
    const app = await nodeApp()
    t.after(() => app.close())
    assert.deepEqual(await app.pancakes.run(async () => [await on.isActive(), await off.isActive()]), [true, false])
  })

  test('a default Python stored first (SETNX) wins over a different default here', async (t) => {
    const name = uniqueUpperName('py_default')
    await python.isActive(`SWITCH:pancake:${name}`, true)
    const here = new Switch(name, false)
    const app = await nodeApp()
    t.after(() => app.close())
    assert.equal(await app.pancakes.run(() => here.isActive()), true)
    assert.equal(await client.get(here.key), '1')
  })

  test('flags: global value, per-object overrides of two groups, tracking sets', async (t) => {
    const name = uniqueUpperName('py_flag')
    const feature = new Flag(name, false)
    await python.enable(`FLAG:pancake:${name}`)
    await python.enableGroup(name, 'user', '42', 0)
    await python.enableGroup(name, 'user', '7', 1)
    await python.enableGroup(name, 'group', 'admins', 0)
    const app = await nodeApp({}, (app) => {
      app.get('/', async () => ({ active: await feature.isActive() }))
    })
    t.after(() => app.close())
    const check = async (headers) => (await app.inject({ url: '/', headers })).json().active
    assert.equal(await check({}), true)
    assert.equal(await check({ 'x-user': '42' }), false)
    assert.equal(await check({ 'x-user': '7', 'x-group': 'admins' }), true)
    assert.equal(await check({ 'x-user': '8', 'x-group': 'admins' }), false)
    assert.equal(await check({ 'x-user': '8', 'x-group': 'others' }), true)
    await app.pancakes.run(async () => {
      assert.equal(await feature.isActiveGlobally(), true)
      assert.equal(await feature.isActiveGroup('user', 42), false)
      assert.equal(await feature.isActiveGroup('user', '7'), true)
      assert.equal(await feature.isActiveGroup('group', 'admins'), false)
      assert.equal(await feature.isActiveGroup('group', 'others'), null)
    })
  })

  test('clearGroup and clearAllGroup act on the keys and tracking sets Python made', async (t) => {
    const name = uniqueUpperName('py_clear')
    const feature = new Flag(name, false)
    for (const id of ['1', '2', '3']) await python.enableGroup(name, 'user', id)
    const tracking = `FLAG:pancake:t:user:${name}`
    const app = await nodeApp()
    t.after(() => app.close())
    await app.pancakes.run(() => feature.clearGroup('user', '2'))
    assert.deepEqual((await client.smembers(tracking)).sort(), [`FLAG:pancake:k:user:${name}:1`, `FLAG:pancake:k:user:${name}:3`])
    assert.equal(await client.exists(`FLAG:pancake:k:user:${name}:2`), 0)
    await app.pancakes.run(() => feature.clearAllGroup('user'))
    assert.equal(await client.exists(tracking, `FLAG:pancake:k:user:${name}:1`, `FLAG:pancake:k:user:${name}:3`), 0)
  })

  test('samples: Python ints and float reprs ("13.0", "0.5", "1e-05", "100.0")', async (t) => {
    const cases = [['42', 42], ['13.0', 13], ['0.5', 0.5], ['1e-05', 0.00001], ['100.0', 100], ['0.0', 0]]
    const samples = cases.map(() => new Sample(uniqueUpperName('py_odds'), 50))
    for (let i = 0; i < cases.length; i++) await python.setSample(samples[i].name, cases[i][0])
    const app = await nodeApp({ random: () => 0.13 })
    t.after(() => app.close())
    for (let i = 0; i < cases.length; i++) {
      assert.equal(await app.pancakes.run(() => samples[i].get()), cases[i][1], cases[i][0])
    }
    // "13.0" draws like 13: a draw of exactly 13 is active.
    assert.equal(await app.pancakes.run(() => samples[1].isActive()), true)
  })

  test('with the near-cache off, a change Python makes is seen by the next check', async (t) => {
    const feature = new Switch(uniqueUpperName('py_live'), false)
    const app = await nodeApp({ cache: false })
    t.after(() => app.close())
    assert.equal(await app.pancakes.run(() => feature.isActive()), false)
    await python.enable(feature.key)
    assert.equal(await app.pancakes.run(() => feature.isActive()), true)
    await client.del(feature.key) // flask-pancake's clear()
    assert.equal(await app.pancakes.run(() => feature.isActive()), false)
    assert.equal(await client.get(feature.key), '0')
  })
})

describe('what this library writes, flask-pancake reads', () => {
  test('keys, values and tracking sets, byte for byte, and nothing else', async (t) => {
    // Only this test's definitions: an app stores the default of every
    // definition it knows when it starts.
    definitions.clear()
    await redis.flush()
    const on = new Switch(uniqueUpperName('on'), true)
    const off = new Switch(uniqueUpperName('off'), false)
    const flag = new Flag(uniqueUpperName('beta'), false)
    const odds = new Sample(uniqueUpperName('odds'), 42)
    const half = new Sample(uniqueUpperName('half'), 13.5)
    const none = new Sample(uniqueUpperName('none'), 0)
    const app = await nodeApp()
    t.after(() => app.close())
    const name = flag.name

    // First reads store the defaults (SETNX).
    await app.pancakes.run(async () => {
      await on.isActive()
      await off.isActive()
      await flag.isActive()
      await odds.get()
      await half.get()
      await none.get()
    })
    assert.equal(await client.get(on.key), '1')
    assert.equal(await client.get(off.key), '0')
    assert.equal(await client.get(`FLAG:pancake:${name}`), '0')
    assert.equal(await client.get(odds.key), '42')
    assert.equal(await client.get(half.key), '13.5')
    assert.equal(await client.get(none.key), '0')

    await app.pancakes.run(async () => {
      await on.disable()
      await off.enable()
      await flag.enableGroup('user', 42)
      await flag.enableGroup('user', 'alice')
      await flag.disableGroup('group', 'admins')
      await odds.set(13)
      await half.set(99.5)
    })
    const expected = {
      [on.key]: '0',
      [off.key]: '1',
      [`FLAG:pancake:${name}`]: '0',
      [`FLAG:pancake:k:user:${name}:42`]: '1',
      [`FLAG:pancake:k:user:${name}:alice`]: '1',
      [`FLAG:pancake:k:group:${name}:admins`]: '0',
      [odds.key]: '13',
      [half.key]: '99.5',
      [none.key]: '0'
    }
    const sets = {
      [`FLAG:pancake:t:user:${name}`]: [`FLAG:pancake:k:user:${name}:42`, `FLAG:pancake:k:user:${name}:alice`],
      [`FLAG:pancake:t:group:${name}`]: [`FLAG:pancake:k:group:${name}:admins`]
    }
    // Beside flask-pancake's keys, only the audit trail, under a prefix it
    // never reads.
    const keys = await client.keys('*')
    assert.deepEqual(keys.filter((key) => !key.startsWith('PANCAKE:')).sort(), [...Object.keys(expected), ...Object.keys(sets)].sort())
    assert.deepEqual(keys.filter((key) => key.startsWith('PANCAKE:')), ['PANCAKE:pancake:audit'])
    assert.equal(await client.type('PANCAKE:pancake:audit'), 'stream')
    for (const [key, value] of Object.entries(expected)) {
      assert.equal(await client.type(key), 'string', key)
      assert.deepEqual(await client.getBuffer(key), Buffer.from(value), key)
    }
    for (const [key, members] of Object.entries(sets)) {
      assert.equal(await client.type(key), 'set', key)
      assert.deepEqual((await client.smembers(key)).sort(), members.sort(), key)
    }

    // flask-pancake's reads of the same state.
    assert.equal(await python.isActive(on.key, true), false)
    assert.equal(await python.isActive(off.key, false), true)
    assert.equal(await python.flagIsActive(name, false, [['user', '42'], ['group', 'admins']]), true)
    assert.equal(await python.flagIsActive(name, false, [['user', 'bob'], ['group', 'admins']]), false)
    assert.equal(await python.flagIsActive(name, false, [['user', undefined], ['group', 'others']]), false)
    assert.equal(await python.isActiveGroup(name, 'user', 'alice'), true)
    assert.equal(await python.sampleGet(odds.name, 42), 13)
    assert.equal(await python.sampleGet(half.name, 13.5), 99.5)

    // Clearing leaves what flask-pancake leaves: no key, no member.
    await app.pancakes.run(async () => {
      await flag.clearGroup('user', 'alice')
      await flag.clearAllGroup('group')
      await on.clear()
      await odds.clear()
    })
    assert.deepEqual(await client.smembers(`FLAG:pancake:t:user:${name}`), [`FLAG:pancake:k:user:${name}:42`])
    assert.equal(await client.exists(
      `FLAG:pancake:k:user:${name}:alice`, `FLAG:pancake:k:group:${name}:admins`, `FLAG:pancake:t:group:${name}`, on.key, odds.key
    ), 0)
    assert.equal(await python.isActiveGroup(name, 'user', 'alice'), null)
  })

  test('written by each side in turn, both agree on every state', async (t) => {
    const name = uniqueUpperName('turns')
    const feature = new Flag(name, false)
    const app = await nodeApp({ cache: false }, (app) => {
      app.get('/', async () => ({ active: await feature.isActive() }))
    })
    t.after(() => app.close())
    const ours = async (user, group) => (await app.inject({ url: '/', headers: { 'x-user': user, 'x-group': group } })).json().active
    const theirs = (user, group) => python.flagIsActive(name, false, [['user', user], ['group', group]])
    const agree = async (expected) => {
      for (const [user, group] of [['u1', 'g1'], ['u2', 'g1'], ['u2', 'g2']]) {
        assert.equal(await ours(user, group), expected[`${user}/${group}`], `node ${user}/${group}`)
        assert.equal(await theirs(user, group), expected[`${user}/${group}`], `python ${user}/${group}`)
      }
    }
    await agree({ 'u1/g1': false, 'u2/g1': false, 'u2/g2': false })
    await python.enableGroup(name, 'group', 'g1')
    await agree({ 'u1/g1': true, 'u2/g1': true, 'u2/g2': false })
    await app.pancakes.run(() => feature.disableGroup('user', 'u1'))
    await agree({ 'u1/g1': false, 'u2/g1': true, 'u2/g2': false })
    await python.enable(`FLAG:pancake:${name}`)
    await agree({ 'u1/g1': false, 'u2/g1': true, 'u2/g2': true })
    await app.pancakes.run(() => feature.clearAllGroup('user'))
    await agree({ 'u1/g1': true, 'u2/g1': true, 'u2/g2': true })
  })
})

describe('values edited by hand never break a check', () => {
  const PARSE_WARNING = 'fastify-pancake: ignoring a stored value it cannot parse; the default applies'

  test('garbage and other Redis types read as the default, with one warning per value', async (t) => {
    const switches = {
      yes: new Switch(uniqueUpperName('hand_yes'), true),
      two: new Switch(uniqueUpperName('hand_two'), false),
      empty: new Switch(uniqueUpperName('hand_empty'), true),
      spaced: new Switch(uniqueUpperName('hand_spaced'), false),
      list: new Switch(uniqueUpperName('hand_list'), true),
      hash: new Switch(uniqueUpperName('hand_hash'), false)
    }
    const flag = new Flag(uniqueUpperName('hand_flag'), true)
    const samples = {
      abc: new Sample(uniqueUpperName('hand_abc'), 10),
      big: new Sample(uniqueUpperName('hand_big'), 20),
      negative: new Sample(uniqueUpperName('hand_negative'), 30),
      nan: new Sample(uniqueUpperName('hand_nan'), 40),
      infinity: new Sample(uniqueUpperName('hand_infinity'), 50),
      set: new Sample(uniqueUpperName('hand_set'), 60)
    }
    await client.set(switches.yes.key, 'yes')
    await client.set(switches.two.key, '2')
    await client.set(switches.empty.key, '')
    await client.set(switches.spaced.key, ' 1')
    await client.lpush(switches.list.key, '1')
    await client.hset(switches.hash.key, 'value', '1')
    await client.set(flag.key, 'true')
    await client.set(`FLAG:pancake:k:user:${flag.name}:alice`, 'maybe')
    await client.lpush(`FLAG:pancake:k:group:${flag.name}:admins`, '0')
    await client.set(samples.abc.key, 'abc')
    await client.set(samples.big.key, '150')
    await client.set(samples.negative.key, '-1')
    await client.set(samples.nan.key, 'NaN')
    await client.set(samples.infinity.key, 'Infinity')
    await client.sadd(samples.set.key, '1')

    const { lines, logger } = captureLogs('warn')
    const app = await nodeApp({ random: () => 0.35 }, (app) => {
      app.get('/', async () => {
        const result = {}
        for (const [name, definition] of Object.entries(switches)) result[name] = await definition.isActive()
        result.flag = await flag.isActive()
        for (const [name, definition] of Object.entries(samples)) result[name] = [await definition.get(), await definition.isActive()]
        return result
      })
    }, { logger })
    t.after(() => app.close())

    for (let i = 0; i < 3; i++) {
      const response = await app.inject({ url: '/', headers: { 'x-user': 'alice', 'x-group': 'admins' } })
      assert.equal(response.statusCode, 200, response.body)
      assert.deepEqual(response.json(), {
        yes: true,
        two: false,
        empty: true,
        spaced: false,
        list: true,
        hash: false,
        flag: true,
        abc: [10, false],
        big: [20, false],
        negative: [30, false],
        nan: [40, true],
        infinity: [50, true],
        set: [60, true]
      })
    }

    const warned = lines.filter((line) => line.msg === PARSE_WARNING).map((line) => line.key).sort()
    const expected = [
      ...Object.values(switches).map((definition) => definition.key),
      flag.key,
      `FLAG:pancake:k:user:${flag.name}:alice`,
      `FLAG:pancake:k:group:${flag.name}:admins`,
      ...Object.values(samples).map((definition) => definition.key)
    ].sort()
    assert.deepEqual(warned, expected)
    // What was there by hand is left as it was.
    assert.equal(await client.get(switches.yes.key), 'yes')
    assert.deepEqual(await client.lrange(switches.list.key, 0, -1), ['1'])
  })

  test('a wrongly typed tracking key makes the group write fail, changing nothing', async (t) => {
    const flag = new Flag(uniqueUpperName('hand_tracking'), false)
    await client.set(`FLAG:pancake:t:user:${flag.name}`, 'not a set')
    const app = await nodeApp({}, (app) => {
      app.post('/', async () => { await flag.enableGroup('user') })
      app.get('/', async () => ({ active: await flag.isActive() }))
    })
    t.after(() => app.close())
    const response = await app.inject({ method: 'POST', url: '/', headers: { 'x-user': 'alice' } })
    assert.equal(response.statusCode, 503, response.body)
    assert.equal(response.json().code, 'FST_PANCAKE_STORE')
    assert.match(response.json().message, /WRONGTYPE/)
    assert.equal(await client.exists(`FLAG:pancake:k:user:${flag.name}:alice`), 0)
    assert.equal(await client.get(`FLAG:pancake:t:user:${flag.name}`), 'not a set')
    assert.deepEqual((await app.inject({ url: '/', headers: { 'x-user': 'alice' } })).json(), { active: false })
  })
})
