// Group functions in every form: functions of the request (sync or async),
// GroupFunc classes and look-alike objects, and 'path:export' references
// resolved at registration.
import assert from 'node:assert/strict'
import { join, relative } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Flag, GroupFunc } from '../dist/index.mjs'
import { buildApp, uniqueName } from './helpers/app.mjs'

const fixtures = fileURLToPath(new URL('./fixtures/groups/', import.meta.url))
const fixture = (file, name) => `${join(fixtures, file)}:${name}`

/** An app whose `/` answers whether FEATURE is active for the request. */
async function appWith (groupFuncs, feature) {
  return await buildApp([{ groupFuncs }], (app) => {
    app.get('/', async () => ({ active: await feature.isActive() }))
  })
}

const check = async (app, headers = {}) => (await app.inject({ url: '/', headers })).json().active

describe('group functions of the request', () => {
  test('an earlier group that returns null or undefined is skipped', async (t) => {
    const feature = new Flag(uniqueName('F'), false)
    const app = await appWith({
      user: (request) => request.headers['x-user'] ?? null,
      team: (request) => request.headers['x-team'],
      company: () => 'acme'
    }, feature)
    t.after(() => app.close())
    await app.pancakes.run(async () => {
      await feature.disableGroup('user', 'alice')
      await feature.enableGroup('company', 'acme')
    })
    assert.equal(await check(app), true)
    assert.equal(await check(app, { 'x-user': 'bob' }), true)
    assert.equal(await check(app, { 'x-user': 'alice' }), false)
  })

  test('async group functions', async (t) => {
    const feature = new Flag(uniqueName('F'), false)
    const app = await appWith({
      user: async (request) => {
        await new Promise((resolve) => setTimeout(resolve, 1))
        return request.headers['x-user']
      },
      company: async () => null
    }, feature)
    t.after(() => app.close())
    await app.pancakes.run(() => feature.enableGroup('user', 'alice'))
    assert.equal(await check(app, { 'x-user': 'alice' }), true)
    assert.equal(await check(app, { 'x-user': 'bob' }), false)
  })

  test('numbers and bigints are ids; other values are nothing', async (t) => {
    const feature = new Flag(uniqueName('F'), false)
    const ids = { number: 42, bigint: 7n, object: { id: 1 }, boolean: true }
    const app = await appWith({ user: (request) => ids[request.headers['x-kind']] }, feature)
    t.after(() => app.close())
    await app.pancakes.run(async () => {
      await feature.enableGroup('user', '42')
      await feature.enableGroup('user', '7')
      await feature.enableGroup('user', '[object Object]')
      await feature.enableGroup('user', 'true')
    })
    assert.equal(await check(app, { 'x-kind': 'number' }), true)
    assert.equal(await check(app, { 'x-kind': 'bigint' }), true)
    assert.equal(await check(app, { 'x-kind': 'object' }), false)
    assert.equal(await check(app, { 'x-kind': 'boolean' }), false)
  })

  test("NaN, ±Infinity and '' are no id: the group is skipped, and no override is read or written under them", async (t) => {
    const feature = new Flag(uniqueName('F'), false)
    const ids = { nan: NaN, infinity: Infinity, minus: -Infinity, empty: '' }
    const app = await appWith({ user: (request) => ids[request.headers['x-kind']], company: () => 'acme' }, feature)
    t.after(() => app.close())
    const { store } = app.pancakes.get()
    // Overrides another program left under those ids: never one object's.
    for (const id of ['NaN', 'Infinity', '-Infinity', '']) {
      await store.setTracked(`FLAG:pancake:k:user:${feature.name.toUpperCase()}:${id}`, `FLAG:pancake:t:user:${feature.name.toUpperCase()}`, '1')
    }
    await app.pancakes.run(() => feature.disableGroup('company', 'acme'))
    for (const kind of Object.keys(ids)) assert.equal(await check(app, { 'x-kind': kind }), false, kind)

    await app.pancakes.run(async () => {
      for (const id of [NaN, Infinity, -Infinity, '']) {
        for (const operation of ['enableGroup', 'disableGroup', 'clearGroup', 'isActiveGroup']) {
          await assert.rejects(feature[operation]('user', id), { code: 'FST_PANCAKE_CANNOT_DERIVE' }, `${operation} ${String(id)}`)
        }
      }
    })
    const [left] = await store.read([], [`FLAG:pancake:k:user:${feature.name.toUpperCase()}:NaN`])
    assert.equal(left, '1')
  })

  test('each group function is called once per request, with the request', async (t) => {
    const a = new Flag(uniqueName('A'), false)
    const b = new Flag(uniqueName('B'), false)
    const calls = []
    const app = await buildApp([{
      groupFuncs: {
        user: (request) => { calls.push(['user', request.id]); return 'alice' },
        team: async (request) => { calls.push(['team', request.id]); return 'red' }
      }
    }], (app) => {
      app.get('/', async (request) => {
        const answers = [await a.isActive(), await b.isActive(), await a.isActiveGroup('user'), await b.isActiveGroup('team')]
        return { id: request.id, answers }
      })
    })
    t.after(() => app.close())
    const { id, answers } = (await app.inject('/')).json()
    assert.deepEqual(answers, [false, false, null, null])
    assert.deepEqual(calls, [['user', id], ['team', id]])
  })

  test('a group function that throws fails the check, not the process', async (t) => {
    const feature = new Flag(uniqueName('F'), false)
    const app = await appWith({ user: () => { throw new Error('no session store') } }, feature)
    t.after(() => app.close())
    const response = await app.inject('/')
    assert.equal(response.statusCode, 500)
    assert.equal(response.json().message, 'no session store')
  })
})

describe('GroupFunc classes and objects', () => {
  test('a GroupFunc subclass, a plain class with getObjectId, an object, and instances', async (t) => {
    class Superuser extends GroupFunc {
      getObjectId (request) { return request.headers['x-superuser'] === '1' ? 'y' : 'n' }
      getCandidateIds () { return ['y', 'n'] }
    }
    class Team {
      getObjectId (request) { return request.headers['x-team'] }
    }
    class Plain extends GroupFunc {
      getObjectId () { return undefined }
    }
    const company = { getObjectId: async (request) => request.headers['x-company'], getCandidateIds: async () => ['acme', 'initech'] }
    const region = Object.assign((request) => request.headers['x-region'], { getCandidateIds: () => ['eu', 'us'] })
    const feature = new Flag(uniqueName('F'), false)
    const app = await appWith({ superuser: Superuser, team: new Team(), plain: Plain, company, region }, feature)
    t.after(() => app.close())

    const instance = app.pancakes.get()
    assert.deepEqual(instance.groupIds, ['superuser', 'team', 'plain', 'company', 'region'])
    const candidates = await Promise.all(instance.groups.map((group) => group.candidateIds()))
    assert.deepEqual(candidates, [['y', 'n'], [], [], ['acme', 'initech'], ['eu', 'us']])

    await app.pancakes.run(async () => {
      await feature.enableGroup('superuser', 'y')
      await feature.enableGroup('team', 'red')
      await feature.enableGroup('company', 'acme')
      await feature.enableGroup('region', 'eu')
    })
    assert.equal(await check(app), false)
    assert.equal(await check(app, { 'x-superuser': '1' }), true)
    assert.equal(await check(app, { 'x-team': 'red' }), true)
    assert.equal(await check(app, { 'x-company': 'acme' }), true)
    assert.equal(await check(app, { 'x-region': 'eu' }), true)
    assert.equal(await check(app, { 'x-region': 'us', 'x-company': 'initech', 'x-team': 'blue' }), false)
  })

  test('a class is instantiated once, at registration', async (t) => {
    let made = 0
    class Counting extends GroupFunc {
      constructor () { super(); made++ }
      getObjectId () { return 'x' }
    }
    const feature = new Flag(uniqueName('F'), false)
    const app = await appWith({ user: Counting }, feature)
    t.after(() => app.close())
    assert.equal(made, 1)
    await check(app)
    await check(app)
    assert.equal(made, 1)
  })
})

describe('string references', () => {
  test('to functions, a class, an object and the default export of an ES module', async (t) => {
    const feature = new Flag(uniqueName('F'), false)
    const app = await appWith({
      user: fixture('esm.mjs', 'userId'),
      team: fixture('esm.mjs', 'asyncTeam'),
      superuser: fixture('esm.mjs', 'superuser'),
      region: fixture('esm.mjs', 'default')
    }, feature)
    t.after(() => app.close())
    const instance = app.pancakes.get()
    assert.deepEqual(await instance.groups[2].candidateIds(), ['y', 'n'])
    await app.pancakes.run(async () => {
      await feature.enableGroup('user', 'alice')
      await feature.enableGroup('team', 'red')
      await feature.enableGroup('superuser', 'y')
      await feature.enableGroup('region', 'eu')
    })
    assert.equal(await check(app, { 'x-user': 'alice' }), true)
    assert.equal(await check(app, { 'x-team': 'red' }), true)
    assert.equal(await check(app, { 'x-superuser': '1' }), true)
    assert.equal(await check(app, { 'x-region': 'eu' }), true)
    assert.equal(await check(app, { 'x-user': 'bob', 'x-team': 'blue', 'x-region': 'us' }), false)
  })

  test('to a GroupFunc class: instantiated once, its state kept across calls', async (t) => {
    const feature = new Flag(uniqueName('F'), false)
    const app = await buildApp([{ groupFuncs: { cycle: fixture('esm.mjs', 'Cycle') } }], (app) => {
      app.get('/', async () => ({ id: await feature.isActiveGroup('cycle') }))
    })
    t.after(() => app.close())
    await app.pancakes.run(() => feature.enableGroup('cycle', '1'))
    const seen = []
    for (let i = 0; i < 4; i++) seen.push((await app.inject('/')).json().id)
    // Ids '0', '1', '2', '0': only the second has an override.
    assert.deepEqual(seen, [null, true, null, null])
    assert.deepEqual(await app.pancakes.get().groups[0].candidateIds(), ['0', '1', '2'])
  })

  test('to a function and a class of a CommonJS module', async (t) => {
    const feature = new Flag(uniqueName('F'), false)
    const app = await appWith({ company: fixture('cjs.cjs', 'companyId'), staff: fixture('cjs.cjs', 'Staff') }, feature)
    t.after(() => app.close())
    assert.deepEqual(await app.pancakes.get().groups[1].candidateIds(), ['staff'])
    await app.pancakes.run(async () => {
      await feature.enableGroup('company', 'acme')
      await feature.enableGroup('staff', 'staff')
    })
    assert.equal(await check(app, { 'x-company': 'acme' }), true)
    assert.equal(await check(app, { 'x-staff': '1' }), true)
    assert.equal(await check(app, { 'x-company': 'initech' }), false)
  })

  test('relative to the working directory', async (t) => {
    const feature = new Flag(uniqueName('F'), false)
    const path = `./${relative(process.cwd(), join(fixtures, 'esm.mjs'))}`
    const app = await appWith({ user: `${path}:userId` }, feature)
    t.after(() => app.close())
    await app.pancakes.run(() => feature.enableGroup('user', 'alice'))
    assert.equal(await check(app, { 'x-user': 'alice' }), true)
  })

  test('are resolved at registration, before any request', async (t) => {
    assert.equal(globalThis.pancakeGroupFixtureLoaded, undefined)
    const app = await buildApp([{ groupFuncs: { anyone: fixture('loaded.mjs', 'anyone') } }])
    t.after(() => app.close())
    assert.equal(globalThis.pancakeGroupFixtureLoaded, 1)
  })

  const bad = {
    'a module that does not exist': [fixture('missing.mjs', 'userId'), /missing\.mjs/],
    'an export that does not exist': [fixture('esm.mjs', 'nothing'), /has no export 'nothing'/],
    'a module that fails to load': [fixture('throws.mjs', 'anything'), /this module fails to load/],
    'a reference without an export name': ['./test/fixtures/groups/esm.mjs', /the format is 'path\/to\/module:exportName'/],
    'a reference ending in a colon': ['./test/fixtures/groups/esm.mjs:', /the format is/]
  }
  for (const [name, [reference, detail]] of Object.entries(bad)) {
    test(`to ${name}: ready() fails with FST_PANCAKE_GROUP_RESOLVE naming the group`, async () => {
      await assert.rejects(buildApp([{ groupFuncs: { user: () => 'ok', team: reference } }]), (err) => {
        assert.equal(err.code, 'FST_PANCAKE_GROUP_RESOLVE')
        assert.ok(err.message.startsWith(`fastify-pancake: option "groupFuncs.team" refers to '${reference}', which cannot be resolved: `), err.message)
        assert.match(err.message, detail)
        return true
      })
    })
  }

  test('to something that is not a group function: ready() fails naming the group and the reference', async () => {
    const reference = fixture('esm.mjs', 'notAGroupFunction')
    await assert.rejects(buildApp([{ groupFuncs: { team: reference } }]), (err) => {
      assert.equal(err.code, 'FST_PANCAKE_INVALID_OPTION')
      assert.match(err.message, /^fastify-pancake: option "groupFuncs\.team" refers to '.*esm\.mjs:notAGroupFunction', which is not a group function/)
      return true
    })
  })
})

describe('invalid groupFuncs entries fail ready() naming the group', () => {
  const cases = {
    'a plain object': [{ a: {} }, 'groupFuncs.a'],
    null: [{ a: null }, 'groupFuncs.a'],
    'a number': [{ a: 42 }, 'groupFuncs.a'],
    'an object whose getObjectId is not a function': [{ a: { getObjectId: 'user' } }, 'groupFuncs.a'],
    'a group name with a colon': [{ 'a:b': () => 'x' }, 'groupFuncs.a:b'],
    'an empty group name': [{ '': () => 'x' }, 'groupFuncs.']
  }
  for (const [name, [groupFuncs, option]] of Object.entries(cases)) {
    test(name, async () => {
      await assert.rejects(buildApp([{ groupFuncs }]), (err) => {
        assert.equal(err.code, 'FST_PANCAKE_INVALID_OPTION')
        assert.ok(err.message.startsWith(`fastify-pancake: option "${option}" `), err.message)
        return true
      })
    })
  }
})
