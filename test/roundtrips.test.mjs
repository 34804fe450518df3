// What a check costs in Redis round trips, counted with MONITOR: every
// command the store's connection sends reaches the monitor, in order;
// commands run by Lua scripts are reported with the source 'lua' and are
// not round trips of their own.
//
// The near-cache (the default) answers warm checks from memory; these tests
// turn it off (`cache: false`) to measure what a check costs when it does go
// to Redis.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { setTimeout } from 'node:timers/promises'
import { Flag, Sample, Switch } from '../dist/index.mjs'
import { buildApp, cookiesOf, uniqueName } from './helpers/app.mjs'
import { monitorCommands } from './helpers/monitor.mjs'
import { redisForThisFile } from './helpers/redis.mjs'

let monitor
const redis = redisForThisFile(async (redis) => { monitor = await monitorCommands(redis) })
after(async () => { await monitor.stop() })

/** The commands `client` sent while `work` ran. */
const commandsOf = (client, work) => monitor.during(client, work)

/** The connection `app`'s store reads and writes on: its own, not the client it was given. */
const connectionOf = (app) => app.pancakes.get().store.source.connection

const isScript = ({ command }) => command === 'evalsha' || command === 'eval'

/** What `app` answers to `request`, and the commands its store sent meanwhile. */
const injected = async (app, request) => {
  let response
  const commands = await commandsOf(connectionOf(app), async () => { response = await app.inject(request) })
  return { commands, response }
}

describe('with the near-cache off, each check of a route\'s first request is one round trip', () => {
  let client
  let app
  const ON = new Switch(uniqueName('on'), true)
  const BETA = new Flag(uniqueName('beta'), false)
  const ODDS = new Sample(uniqueName('odds'), 100)
  const OTHER = new Switch(uniqueName('other'), false)
  const NOBODY = new Flag(uniqueName('nobody'), false)
  before(async () => {
    client = await redis.connected()
    app = await buildApp([{
      redis: client,
      cache: false,
      groupFuncs: {
        user: (request) => request.headers['x-user'],
        team: async (request) => request.headers['x-team']
      }
    }], (app) => {
      app.get('/switch', async () => [await ON.isActive()])
      app.get('/switch-twice', async () => [await ON.isActive(), await ON.isActive()])
      app.get('/flag', async () => [await BETA.isActive()])
      app.get('/flag-twice', async () => [await BETA.isActive(), await BETA.isActive(), await BETA.isActive()])
      app.get('/nobody', async () => [await NOBODY.isActive()])
      app.get('/sample', async () => [await ODDS.isActive()])
      app.get('/sample-twice', async () => [await ODDS.isActive(), await ODDS.isActive()])
      app.get('/parallel', async () => [
        ...await Promise.all([ON.isActive(), ON.isActive(), ON.isActive()]),
        ...await Promise.all([BETA.isActive(), BETA.isActive()]),
        ...await Promise.all([ODDS.isActive(), ODDS.isActive()])
      ])
      app.get('/two', async () => [await ON.isActive(), await OTHER.isActive(), await ON.isActive()])
      app.get('/nothing', async () => [])
      app.get('/flag-and-group', async () => [await BETA.isActive(), await BETA.isActiveGroup('team', 'blue'), await BETA.isActive()])
    })
    await app.pancakes.run(() => BETA.enableGroup('team', 'red'))
  })
  after(() => app.close())

  const costOf = async (url, headers = {}, expected) => {
    const { commands, response } = await injected(app, { url, headers })
    assert.equal(response.statusCode, 200, response.body)
    if (expected !== undefined) assert.deepEqual(response.json(), expected)
    return { commands, response }
  }

  test('a switch check: one EVALSHA, with SETNX and GET inside it', async () => {
    const { commands } = await costOf('/switch', {}, [true])
    assert.equal(commands.length, 1, JSON.stringify(commands))
    assert.ok(isScript(commands[0]))
    assert.ok(commands[0].args.includes(ON.key))
  })

  test('a flag check with two groups: one round trip for the global value and both overrides', async () => {
    const { commands } = await costOf('/flag', { 'x-user': 'alice', 'x-team': 'red' }, [true])
    assert.equal(commands.length, 1, JSON.stringify(commands))
    assert.ok(isScript(commands[0]))
    const name = BETA.name.toUpperCase()
    for (const key of [BETA.key, `FLAG:pancake:k:user:${name}:alice`, `FLAG:pancake:k:team:${name}:red`]) {
      assert.ok(commands[0].args.includes(key), key)
    }
  })

  test('reading one object\'s override does not make the request read the flag again', async () => {
    const { commands } = await costOf('/flag-and-group', { 'x-user': 'carol', 'x-team': 'red' }, [true, null, true])
    assert.equal(commands.length, 2, JSON.stringify(commands))
  })

  test('a flag check whose group functions return nothing: one round trip', async () => {
    const { commands } = await costOf('/nobody', {}, [false])
    assert.equal(commands.length, 1, JSON.stringify(commands))
  })

  test('a sample check: one round trip', async () => {
    const { commands } = await costOf('/sample', {}, [true])
    assert.equal(commands.length, 1, JSON.stringify(commands))
    assert.ok(isScript(commands[0]))
    assert.ok(commands[0].args.includes(ODDS.key))
  })

  test('the same definition checked again in a request: no second round trip', async () => {
    for (const [url, headers, expected] of [
      ['/switch-twice', {}, [true, true]],
      ['/flag-twice', { 'x-user': 'bob', 'x-team': 'red' }, [true, true, true]],
      ['/sample-twice', {}, [true, true]]
    ]) {
      const { commands } = await costOf(url, headers, expected)
      assert.equal(commands.length, 1, `${url}: ${JSON.stringify(commands)}`)
    }
  })

  test('the same definition checked concurrently in a request: one round trip', async () => {
    const { commands } = await costOf('/parallel', { 'x-user': 'dave', 'x-team': 'red' }, [true, true, true, true, true, true, true])
    assert.equal(commands.length, 3, JSON.stringify(commands))
  })

  test('two definitions: one round trip each, the repeated one free', async () => {
    const { commands } = await costOf('/two', {}, [true, false, true])
    assert.equal(commands.length, 2, JSON.stringify(commands))
  })

  test('a request that checks nothing sends nothing', async () => {
    const { commands } = await costOf('/nothing', {}, [])
    assert.deepEqual(commands, [])
  })

  test('a sample whose outcome the cookie brings back costs nothing', async () => {
    const { response } = await costOf('/sample', {}, [true])
    const commands = await commandsOf(connectionOf(app), async () => {
      const again = await app.inject({ url: '/sample', cookies: cookiesOf(response) })
      assert.deepEqual(again.json(), [true])
    })
    assert.deepEqual(commands, [])
  })

  test('each write is a single atomic script', async () => {
    const writes = {
      enable: () => OTHER.enable(),
      disable: () => OTHER.disable(),
      clear: () => OTHER.clear(),
      enableGroup: () => BETA.enableGroup('user', 'carol'),
      disableGroup: () => BETA.disableGroup('user', 'carol'),
      clearGroup: () => BETA.clearGroup('user', 'carol'),
      clearAllGroup: () => BETA.clearAllGroup('user'),
      set: () => ODDS.set(50)
    }
    for (const [name, write] of Object.entries(writes)) {
      const commands = await commandsOf(connectionOf(app), () => app.pancakes.run(write))
      assert.equal(commands.length, 1, `${name}: ${JSON.stringify(commands)}`)
      assert.ok(isScript(commands[0]), name)
    }
  })
})

describe('with the near-cache off, later requests of a route read in one round trip what the earlier ones checked', () => {
  let client
  let app
  const S1 = new Switch(uniqueName('s1'), true)
  const S2 = new Switch(uniqueName('s2'), false)
  const F = new Flag(uniqueName('f'), false)
  const G = new Flag(uniqueName('g'), true)
  const P = new Sample(uniqueName('p'), 100)
  const ALICE = { 'x-user': 'alice', 'x-team': 'red' }
  before(async () => {
    client = await redis.connected()
    app = await buildApp([{
      redis: client,
      cache: false,
      groupFuncs: {
        user: (request) => request.headers['x-user'],
        team: async (request) => {
          if (request.headers['x-fail'] !== undefined) throw new Error('no team today')
          return request.headers['x-team']
        }
      }
    }], (app) => {
      app.get('/all', async () => [await S1.isActive(), await S2.isActive(), await F.isActive(), await G.isActive(), await P.isActive()])
      app.get('/parallel', async () => await Promise.all([S1.isActive(), F.isActive(), P.isActive(), S2.isActive()]))
      app.get('/guarded', async () => [await S1.isActive(), await F.isActive().catch((err) => err.message)])
      app.get('/write', async () => {
        const before = await S2.isActive()
        await S2.enable()
        const after = await S2.isActive()
        await S2.disable()
        return [before, after, await S1.isActive()]
      })
    })
    await app.pancakes.run(async () => {
      await F.enableGroup('user', 'alice')
      await G.disableGroup('team', 'red')
    })
  })
  after(() => app.close())

  const costOf = async (url, headers, expected) => {
    const { commands, response } = await injected(app, { url, headers })
    assert.equal(response.statusCode, 200, response.body)
    assert.deepEqual(response.json(), expected)
    return commands
  }

  test('the first request: one round trip per definition; the next ones: one in all, overrides included', async () => {
    assert.equal((await costOf('/all', ALICE, [true, false, true, false, true])).length, 5)
    const [batch, ...more] = await costOf('/all', ALICE, [true, false, true, false, true])
    assert.deepEqual(more, [])
    assert.ok(isScript(batch))
    const object = (flag, group, id) => `FLAG:pancake:k:${group}:${flag.name.toUpperCase()}:${id}`
    for (const key of [S1.key, S2.key, F.key, G.key, P.key, object(F, 'user', 'alice'), object(F, 'team', 'red'), object(G, 'user', 'alice'), object(G, 'team', 'red')]) {
      assert.ok(batch.args.includes(key), key)
    }
    // Another user: the same single round trip, with that user's keys.
    const [other, ...none] = await costOf('/all', { 'x-user': 'bob', 'x-team': 'blue' }, [true, false, false, true, true])
    assert.deepEqual(none, [])
    assert.ok(other.args.includes(object(F, 'user', 'bob')))
  })

  test('checks made at the same time share the reads under way', async () => {
    await costOf('/parallel', ALICE, [true, true, true, false])
    // The first check's read waits for the async group function (team) to
    // bring the flags' overrides along; the checks made meanwhile do not
    // wait for it, and read the rest in one more round trip.
    assert.equal((await costOf('/parallel', ALICE, [true, true, true, false])).length, 2)
  })

  test('a group function that fails leaves the overrides out of the read and fails only the flag', async () => {
    await costOf('/guarded', ALICE, [true, true])
    const commands = await costOf('/guarded', { ...ALICE, 'x-fail': '1' }, [true, 'no team today'])
    assert.equal(commands.filter(isScript).length, 1, JSON.stringify(commands))
    assert.ok(!commands[0].args.some((key) => key.startsWith(`FLAG:pancake:k:user:${F.name.toUpperCase()}`)))
  })

  test('a write in the request: what the request read before is read again', async () => {
    for (let i = 0; i < 2; i++) await costOf('/write', ALICE, [false, true, true])
  })

  test('an unknown URL learns nothing', async () => {
    const response = await app.inject({ url: '/no-such-route' })
    assert.equal(response.statusCode, 404)
  })
})

describe('batched reads and what a request does meanwhile', () => {
  test('a value read before a write of the request is not reused after it', async (t) => {
    const client = await redis.connected()
    const A = new Switch(uniqueName('a'), false)
    const B = new Switch(uniqueName('b'), false)
    const F = new Flag(uniqueName('f'), false)
    const app = await buildApp([{ redis: client, cache: false, groupFuncs: { user: (request) => request.headers['x-user'] } }], (app) => {
      app.get('/race', async () => {
        await Promise.all([A.isActive(), B.enable(), F.enableGroup('user')])
        const answers = [await B.isActive(), await F.isActive(), await F.isActiveGroup('user')]
        await B.disable()
        await F.clearGroup('user')
        return answers
      })
    })
    t.after(() => app.close())
    // The first request teaches the route; the next ones read B and F with A.
    for (let i = 0; i < 3; i++) {
      assert.deepEqual((await app.inject({ url: '/race', headers: { 'x-user': `u${i}` } })).json(), [true, true, true], `request ${i}`)
    }
    await app.pancakes.run(async () => {
      const before = A.isActive()
      await A.enable()
      await before
      assert.equal(await A.isActive(), true)
    })
  })

  test('a group function may check a definition, before or after its first await', { timeout: 10_000 }, async (t) => {
    const client = await redis.connected()
    const GATE = new Switch(uniqueName('gate'), true)
    const OTHER = new Switch(uniqueName('other'), false)
    const F = new Flag(uniqueName('f'), false)
    let calls = 0
    const app = await buildApp([{
      redis: client,
      cache: false,
      groupFuncs: {
        user: (request) => { calls++; return GATE.isActive().then((open) => open ? request.headers['x-user'] : undefined) },
        team: async (request) => { await null; return (await GATE.isActive()) ? request.headers['x-team'] : undefined }
      }
    }], (app) => {
      app.get('/', async () => [await OTHER.isActive(), await F.isActive()])
    })
    t.after(() => app.close())
    await app.pancakes.run(() => F.enableGroup('team', 'red'))
    for (let i = 0; i < 3; i++) {
      calls = 0
      const response = await app.inject({ url: '/', headers: { 'x-user': 'alice', 'x-team': 'red' } })
      assert.equal(response.statusCode, 200, response.body)
      assert.deepEqual(response.json(), [false, true], `request ${i}`)
      assert.equal(calls, 1, `request ${i}: the group function ran ${calls} times`)
    }
  })

  test('a failing group function is called once per request, and leaves switches alone', async (t) => {
    const client = await redis.connected()
    const S = new Switch(uniqueName('s'), true)
    const F = new Flag(uniqueName('f'), false)
    let calls = 0
    const app = await buildApp([{ redis: client, cache: false, groupFuncs: { user: () => { calls++; throw new Error('no user') } } }], (app) => {
      app.get('/', async () => [await S.isActive(), await F.isActive().catch((err) => err.message), await F.isActive().catch((err) => err.message)])
    })
    t.after(() => app.close())
    for (let i = 0; i < 2; i++) {
      calls = 0
      assert.deepEqual((await app.inject('/')).json(), [true, 'no user', 'no user'])
      assert.equal(calls, 1)
    }
  })

  test('checks made at the same time, group functions synchronous: one round trip', async (t) => {
    const client = await redis.connected()
    const S1 = new Switch(uniqueName('s1'), true)
    const S2 = new Switch(uniqueName('s2'), false)
    const F = new Flag(uniqueName('f'), false)
    const P = new Sample(uniqueName('p'), 100)
    const app = await buildApp([{ redis: client, cache: false, groupFuncs: { user: (request) => request.headers['x-user'] } }], (app) => {
      app.get('/', async () => await Promise.all([S1.isActive(), F.isActive(), P.isActive(), S2.isActive()]))
    })
    t.after(() => app.close())
    await app.pancakes.run(() => F.enableGroup('user', 'alice'))
    await app.inject({ url: '/', headers: { 'x-user': 'alice' } })
    const { commands, response } = await injected(app, { url: '/', headers: { 'x-user': 'alice' } })
    assert.deepEqual(response.json(), [true, true, true, false])
    assert.equal(commands.length, 1, JSON.stringify(commands))
  })

  test('checks made at the same time read at the same time', async (t) => {
    // A store that counts the reads in flight at once.
    const data = new Map()
    let inFlight = 0
    let most = 0
    const store = {
      kind: 'counting',
      async read (init, keys) {
        most = Math.max(most, ++inFlight)
        await new Promise((resolve) => setImmediate(resolve))
        inFlight--
        for (const [key, value] of init) if (!data.has(key)) data.set(key, value)
        return [...init.map(([key]) => data.get(key)), ...keys.map((key) => data.get(key) ?? null)]
      },
      async set (key, value) { data.set(key, value) },
      async delete (key) { data.delete(key) },
      async setTracked () {},
      async deleteTracked () {},
      async clearTracked () {}
    }
    const SWITCHES = Array.from({ length: 5 }, (_, i) => new Switch(uniqueName(`p${i}`), i % 2 === 0))
    const app = await buildApp([{ store, cache: false }])
    t.after(() => app.close())
    const answers = await app.pancakes.run(() => Promise.all(SWITCHES.map((s) => s.isActive())))
    assert.deepEqual(answers, [true, false, true, false, true])
    assert.equal(most, 5)
  })
})

describe('with the near-cache on (the default)', () => {
  // No periodic re-read while commands are counted; and the reload the
  // cache makes once its subscription is up, just after ready, is let pass.
  const QUIET = { staleness: 60_000 }
  const settled = async () => { await setTimeout(300) }

  test('a new object\'s overrides for every flag its route checks come in one round trip', async (t) => {
    const client = await redis.connected()
    const FLAGS = [new Flag(uniqueName('f1'), false), new Flag(uniqueName('f2'), true), new Flag(uniqueName('f3'), false)]
    const app = await buildApp([{ redis: client, ...QUIET, groupFuncs: { user: (request) => request.headers['x-user'], team: () => 'red' } }], (app) => {
      app.get('/flags', async () => { const answers = []; for (const flag of FLAGS) answers.push(await flag.isActive()); return answers })
    })
    t.after(() => app.close())
    await settled()
    // Written past the app, so that it caches nothing of carol's.
    await client.set(`FLAG:pancake:k:user:${FLAGS[2].name.toUpperCase()}:carol`, '1')
    const cost = async (user, expected) => {
      const { commands, response } = await injected(app, { url: '/flags', headers: { 'x-user': user } })
      assert.deepEqual(response.json(), expected)
      return commands
    }
    assert.equal((await cost('alice', [false, true, false])).length, 3)
    const [batch, ...more] = await cost('carol', [false, true, true])
    assert.deepEqual(more, [])
    for (const flag of FLAGS) assert.ok(batch.args.includes(`FLAG:pancake:k:user:${flag.name.toUpperCase()}:carol`), flag.name)
    assert.deepEqual(await cost('carol', [false, true, true]), [])
  })

  test('no check costs more than one round trip', async (t) => {
    const client = await redis.connected()
    const ON = new Switch(uniqueName('on'), true)
    const BETA = new Flag(uniqueName('beta'), false)
    const ODDS = new Sample(uniqueName('odds'), 50)
    const app = await buildApp([{ redis: client, ...QUIET, groupFuncs: { user: (request) => request.headers['x-user'], team: () => 'red' } }], (app) => {
      app.get('/switch', async () => [await ON.isActive(), await ON.isActive()])
      app.get('/flag', async () => [await BETA.isActive(), await BETA.isActive()])
      app.get('/sample', async () => [await ODDS.isActive(), await ODDS.isActive()])
    })
    t.after(() => app.close())
    await settled()
    for (const url of ['/switch', '/flag', '/sample']) {
      for (const user of ['alice', 'bob', 'alice']) {
        const commands = await commandsOf(connectionOf(app), () => app.inject({ url, headers: { 'x-user': user } }))
        assert.ok(commands.length <= 1, `${url} for ${user}: ${JSON.stringify(commands)}`)
      }
    }
  })
})
