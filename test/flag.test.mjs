// Flags: flask-pancake's tests/test_flags.py (its truth table for two
// groups included) and tests/test_e2e.py, on both stores.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Flag } from '../dist/index.mjs'
import { buildApp, captureLogs, uniqueName } from './helpers/app.mjs'
import { redisForThisFile } from './helpers/redis.mjs'
import { build, members, raw, storeKinds, storeOptionsOf } from './helpers/stores.mjs'

const redis = redisForThisFile()
const stores = storeKinds(redis)

const header = (name) => (request) => request.headers[name]

// flask-pancake's test_flag_multiple_groups, row for row: the groups are
// `user` then `group`; `null` is "no override".
// [default, group override, user override, expected]
const TRUTH_TABLE = [
  [false, null, null, false],
  [true, null, null, true],
  [false, false, null, false],
  [true, false, null, false],
  [false, true, null, true],
  [true, true, null, true],
  [false, null, false, false],
  [true, null, false, false],
  [false, false, false, false],
  [true, false, false, false],
  [false, true, false, false],
  [true, true, false, false],
  [false, null, true, true],
  [true, null, true, true],
  [false, false, true, true],
  [true, false, true, true],
  [false, true, true, true],
  [true, true, true, true]
]

for (const [storeName, storeOptions] of Object.entries(stores)) {
  describe(`Flag on the ${storeName} store`, () => {
    describe('truth table for two groups (user, then group)', () => {
      let app
      const flags = TRUTH_TABLE.map(([defaultValue]) => new Flag(uniqueName('FEATURE'), defaultValue))
      before(async () => {
        app = await build(storeOptions, { groupFuncs: { user: header('x-user'), group: header('x-group') } }, (app) => {
          // Sets the overrides through the current request's group ids, as
          // flask-pancake's test does, checking each step.
          app.post('/setup/:row', async (request) => {
            const row = Number(request.params.row)
            const [, groupOverride, userOverride] = TRUTH_TABLE[row]
            const feature = flags[row]
            const seen = { globally: await feature.isActiveGlobally() }
            if (groupOverride === true) await feature.enableGroup('group')
            if (groupOverride === false) await feature.disableGroup('group')
            if (userOverride === true) await feature.enableGroup('user')
            if (userOverride === false) await feature.disableGroup('user')
            seen.group = await feature.isActiveGroup('group')
            seen.user = await feature.isActiveGroup('user')
            seen.active = await feature.isActive()
            return seen
          })
          app.get('/check/:row', async (request) => ({ active: await flags[Number(request.params.row)].isActive() }))
        })
      })
      after(() => app.close())

      TRUTH_TABLE.forEach(([defaultValue, groupOverride, userOverride, expected], row) => {
        test(`default ${defaultValue}, group ${groupOverride}, user ${userOverride} → ${expected}`, async () => {
          const headers = { 'x-user': `user-${row}`, 'x-group': `group-${row}` }
          const setup = await app.inject({ method: 'POST', url: `/setup/${row}`, headers })
          assert.equal(setup.statusCode, 200, setup.body)
          assert.deepEqual(setup.json(), { globally: defaultValue, group: groupOverride, user: userOverride, active: expected })
          // A later request sees the same through the store alone.
          const check = await app.inject({ url: `/check/${row}`, headers })
          assert.deepEqual(check.json(), { active: expected })
          // Another user of the same group gets the group's override, or the default.
          const neighbour = await app.inject({ url: `/check/${row}`, headers: { ...headers, 'x-user': 'someone-else' } })
          assert.deepEqual(neighbour.json(), { active: groupOverride ?? defaultValue })
        })
      })
    })

    test('the order of groupFuncs is the order of precedence', async (t) => {
      const feature = new Flag(uniqueName('ORDER'), false)
      const userFirst = await build(storeOptions, { groupFuncs: { user: header('x-user'), group: header('x-group') } }, (app) => {
        app.get('/', async () => ({ active: await feature.isActive() }))
      })
      t.after(() => userFirst.close())
      await userFirst.pancakes.run(async () => {
        await feature.enableGroup('user', 'u')
        await feature.disableGroup('group', 'g')
      })
      const headers = { 'x-user': 'u', 'x-group': 'g' }
      assert.deepEqual((await userFirst.inject({ url: '/', headers })).json(), { active: true })

      // The same overrides, in another app on the same store, walked group first.
      const groupFirst = await buildApp([{ ...storeOptionsOf(userFirst), groupFuncs: { group: header('x-group'), user: header('x-user') } }], (app) => {
        app.get('/', async () => ({ active: await feature.isActive() }))
      })
      t.after(() => groupFirst.close())
      assert.deepEqual((await groupFirst.inject({ url: '/', headers })).json(), { active: false })
    })

    test('falls back to a later group when an earlier one returns nothing', async (t) => {
      const feature = new Flag(uniqueName('FALLBACK'), false)
      const app = await build(storeOptions, { groupFuncs: { user: () => null, company: () => undefined, group: () => 'g1' } }, (app) => {
        app.get('/', async () => ({ active: await feature.isActive() }))
      })
      t.after(() => app.close())
      await app.pancakes.run(() => feature.enableGroup('group', 'g1'))
      assert.deepEqual((await app.inject('/')).json(), { active: true })
    })

    test('stores the global default on first check, then follows enable/disable/clear', async (t) => {
      const app = await build(storeOptions, { groupFuncs: { user: () => 'u1' } })
      t.after(() => app.close())
      const off = new Flag(uniqueName('default_off'), false)
      const on = new Flag(uniqueName('default_on'), true)
      assert.equal(await raw(app, off.key), null)
      assert.equal(await raw(app, on.key), null)
      await app.pancakes.run(async () => {
        assert.equal(await off.isActive(), false)
        assert.equal(await on.isActive(), true)
      })
      assert.equal(await raw(app, off.key), '0')
      assert.equal(await raw(app, on.key), '1')
      await app.pancakes.run(async () => {
        await off.enable()
        await on.disable()
      })
      assert.equal(await raw(app, off.key), '1')
      assert.equal(await raw(app, on.key), '0')
      await app.pancakes.run(async () => {
        assert.equal(await off.isActive(), true)
        assert.equal(await on.isActive(), false)
        await on.clear()
      })
      assert.equal(await raw(app, on.key), null)
    })

    test('enableGroup/disableGroup/isActiveGroup/clearGroup use the request\'s object', async (t) => {
      const feature = new Flag(uniqueName('FEATURE'), true)
      const app = await build(storeOptions, { groupFuncs: { user: header('x-user') } }, (app) => {
        app.post('/:op', async (request) => {
          const result = await feature[request.params.op]('user')
          return { result: result ?? null, active: await feature.isActive() }
        })
      })
      t.after(() => app.close())
      const objectKey = `FLAG:pancake:k:user:${feature.name.toUpperCase()}:alice`
      const trackingKey = `FLAG:pancake:t:user:${feature.name.toUpperCase()}`
      const op = async (name, user = 'alice') => (await app.inject({ method: 'POST', url: `/${name}`, headers: { 'x-user': user } })).json()

      assert.deepEqual(await op('isActiveGroup'), { result: null, active: true })
      assert.equal(await raw(app, objectKey), null)
      assert.deepEqual(await members(app, trackingKey), [])

      assert.deepEqual(await op('disableGroup'), { result: null, active: false })
      assert.equal(await raw(app, objectKey), '0')
      assert.deepEqual(await members(app, trackingKey), [objectKey])
      assert.deepEqual(await op('isActiveGroup'), { result: false, active: false })
      assert.deepEqual(await op('isActiveGroup', 'bob'), { result: null, active: true })

      assert.deepEqual(await op('enableGroup'), { result: null, active: true })
      assert.equal(await raw(app, objectKey), '1')
      assert.deepEqual(await op('isActiveGroup'), { result: true, active: true })

      assert.deepEqual(await op('clearGroup'), { result: null, active: true })
      assert.equal(await raw(app, objectKey), null)
      assert.deepEqual(await members(app, trackingKey), [])
    })

    test('explicit object ids: enable, disable and clear two objects', async (t) => {
      const app = await build(storeOptions, { groupFuncs: { user: () => null } })
      t.after(() => app.close())
      const feature = new Flag(uniqueName('FEATURE'), true)
      const name = feature.name.toUpperCase()
      const key1 = `FLAG:pancake:k:user:${name}:1`
      const key2 = `FLAG:pancake:k:user:${name}:2`
      const trackingKey = `FLAG:pancake:t:user:${name}`
      await app.pancakes.run(async () => {
        await feature.enableGroup('user', '1')
        await feature.enableGroup('user', 2)
      })
      assert.deepEqual([await raw(app, key1), await raw(app, key2)], ['1', '1'])
      assert.deepEqual(await members(app, trackingKey), [key1, key2])
      await app.pancakes.run(async () => {
        assert.equal(await feature.isActiveGroup('user', 1), true)
        await feature.disableGroup('user', '1')
        await feature.disableGroup('user', '2')
        assert.equal(await feature.isActiveGroup('user', '2'), false)
        assert.equal(await feature.isActiveGroup('user', '3'), null)
      })
      assert.deepEqual([await raw(app, key1), await raw(app, key2)], ['0', '0'])
      assert.deepEqual(await members(app, trackingKey), [key1, key2])
      await app.pancakes.run(async () => {
        await feature.clearGroup('user', '1')
        await feature.clearGroup('user', 2)
      })
      assert.deepEqual([await raw(app, key1), await raw(app, key2)], [null, null])
      assert.deepEqual(await members(app, trackingKey), [])
    })

    test('clearAllGroup removes every object of one group and nothing else', async (t) => {
      const app = await build(storeOptions, { groupFuncs: { user: header('x-user'), company: header('x-company') } }, (app) => {
        app.post('/enable', async () => { await feature.enableGroup('user') })
      })
      t.after(() => app.close())
      const feature = new Flag(uniqueName('FEATURE'), false)
      const name = feature.name.toUpperCase()
      const trackingKey = `FLAG:pancake:t:user:${name}`
      await app.pancakes.run(() => feature.clearAllGroup('user'))
      await app.inject({ method: 'POST', url: '/enable', headers: { 'x-user': 'uid1' } })
      await app.inject({ method: 'POST', url: '/enable', headers: { 'x-user': 'uid2' } })
      await app.pancakes.run(() => feature.enableGroup('company', 'acme'))
      const keys = [`FLAG:pancake:k:user:${name}:uid1`, `FLAG:pancake:k:user:${name}:uid2`]
      assert.deepEqual(await members(app, trackingKey), keys)
      assert.deepEqual([await raw(app, keys[0]), await raw(app, keys[1])], ['1', '1'])

      await app.pancakes.run(() => feature.clearAllGroup('user'))
      assert.deepEqual([await raw(app, keys[0]), await raw(app, keys[1])], [null, null])
      assert.deepEqual(await members(app, trackingKey), [])
      assert.equal(await raw(app, `FLAG:pancake:k:user:${name}:uid1`), null)
      assert.equal(await raw(app, `FLAG:pancake:k:company:${name}:acme`), '1')
    })

    test('clearAllGroup deletes only the flag\'s overrides; other keys its set names are left, and reported once', async (t) => {
      const backend = await storeOptions()
      const { lines, logger } = captureLogs()
      const app = await buildApp([{ ...backend, groupFuncs: { user: () => undefined } }], () => {}, { logger })
      t.after(() => app.close())
      const feature = new Flag(uniqueName('FOREIGN'), false)
      const name = feature.name.toUpperCase()
      const tracking = `FLAG:pancake:t:user:${name}`
      await app.pancakes.run(() => feature.enableGroup('user', 'u1'))
      // Named in the tracking set by hand or by another program.
      const foreign = 'unrelated:app:data'
      if (backend.redis) {
        await backend.redis.set(foreign, 'precious')
        await backend.redis.sadd(tracking, foreign)
      } else {
        await backend.store.setTracked(foreign, tracking, 'precious')
      }
      const read = async (key) => backend.redis ? await backend.redis.get(key) : (await backend.store.read([], [key]))[0]

      await app.pancakes.run(() => feature.clearAllGroup('user'))
      assert.equal(await read(`FLAG:pancake:k:user:${name}:u1`), null)
      assert.equal(await read(foreign), 'precious')
      await app.pancakes.run(() => feature.clearAllGroup('user'))
      const warnings = lines.filter((line) => line.level === 40 && /left alone/.test(line.msg))
      assert.equal(warnings.length, 1, 'reported once')
      assert.deepEqual(warnings[0].keys, [foreign])
    })

    test('clearAllGroup in a request forgets the checked value', async (t) => {
      const feature = new Flag(uniqueName('FEATURE'), false)
      const app = await build(storeOptions, { groupFuncs: { user: () => 'u' } }, (app) => {
        app.get('/', async () => {
          await feature.enableGroup('user')
          const enabled = await feature.isActive()
          await feature.clearAllGroup('user')
          return { enabled, cleared: await feature.isActive() }
        })
      })
      t.after(() => app.close())
      assert.deepEqual((await app.inject('/')).json(), { enabled: true, cleared: false })
    })

    test('isActiveGlobally ignores overrides', async (t) => {
      const feature = new Flag(uniqueName('FEATURE'), false)
      const app = await build(storeOptions, { groupFuncs: { user: () => 'u' } }, (app) => {
        app.get('/', async () => ({ active: await feature.isActive(), globally: await feature.isActiveGlobally() }))
      })
      t.after(() => app.close())
      await app.pancakes.run(() => feature.enableGroup('user', 'u'))
      assert.deepEqual((await app.inject('/')).json(), { active: true, globally: false })
    })

    test('numeric object ids from group functions match string ids', async (t) => {
      const feature = new Flag(uniqueName('FEATURE'), false)
      const app = await build(storeOptions, { groupFuncs: { user: (request) => Number(request.headers['x-user']) || null } }, (app) => {
        app.get('/', async () => ({ active: await feature.isActive() }))
      })
      t.after(() => app.close())
      await app.pancakes.run(() => feature.enableGroup('user', '42'))
      assert.deepEqual((await app.inject({ url: '/', headers: { 'x-user': '42' } })).json(), { active: true })
      assert.deepEqual((await app.inject({ url: '/', headers: { 'x-user': '7' } })).json(), { active: false })
    })
  })
}

describe('flask-pancake end to end: user, superuser and group', () => {
  let app
  let feature
  before(async () => {
    feature = new Flag(uniqueName('CAN_DO'), false)
    // The "current user" travels in headers, as an auth hook would set it.
    const user = (request) => {
      const id = request.headers['x-user-id']
      return id === undefined ? undefined : { id, superuser: request.headers['x-superuser'] === '1', group: request.headers['x-group-id'] }
    }
    app = await buildApp([{
      redis: await redis.connected(),
      groupFuncs: {
        user: (request) => user(request)?.id,
        superuser: (request) => (user(request)?.superuser ? 'y' : 'n'),
        group: (request) => user(request)?.group
      }
    }], (app) => {
      app.get('/', async (_request, reply) => {
        if (await feature.isActive()) return 'yes'
        return reply.code(404).send('no')
      })
    })
  })
  after(() => app.close())

  const get = async (headers = {}) => {
    const response = await app.inject({ url: '/', headers })
    return [response.statusCode, response.body]
  }

  test('unauthenticated: the default decides', async () => {
    assert.deepEqual(await get(), [404, 'no'])
  })

  test('a superuser override', async () => {
    await app.pancakes.run(() => feature.enableGroup('superuser', 'y'))
    assert.deepEqual(await get({ 'x-user-id': '1', 'x-superuser': '1' }), [200, 'yes'])
    await app.pancakes.run(() => feature.clearAllGroup('superuser'))
  })

  test('a group override', async () => {
    await app.pancakes.run(() => feature.enableGroup('group', 'a'))
    assert.deepEqual(await get({ 'x-user-id': '1', 'x-superuser': '1', 'x-group-id': 'a' }), [200, 'yes'])
    await app.pancakes.run(() => feature.clearAllGroup('group'))
  })

  const cases = [
    ['1', false, undefined, true],
    ['2', false, undefined, false],
    ['2', true, undefined, true],
    ['2', false, 'admins', true],
    ['2', false, 'members', false],
    ['3', true, 'admins', false]
  ]
  for (const [userId, superuser, groupId, success] of cases) {
    test(`several users, superusers and groups: user ${userId}, superuser ${superuser}, group ${groupId} → ${success}`, async () => {
      await app.pancakes.run(async () => {
        await feature.enableGroup('user', '1')
        await feature.disableGroup('user', '3')
        await feature.enableGroup('superuser', 'y')
        await feature.enableGroup('group', 'admins')
      })
      const headers = { 'x-user-id': userId, 'x-superuser': superuser ? '1' : '0' }
      if (groupId !== undefined) headers['x-group-id'] = groupId
      assert.deepEqual(await get(headers), success ? [200, 'yes'] : [404, 'no'])
    })
  }
})

describe('Flag errors', () => {
  test('rejects a default that is not a boolean', () => {
    for (const bad of [-1, 1, 'false', null]) {
      assert.throws(() => new Flag('X', bad), {
        code: 'FST_PANCAKE_INVALID_DEFAULT',
        message: 'Default value for flag X must be true or false.'
      })
    }
  })

  test('group operations on an instance without groups', async (t) => {
    const app = await buildApp([{}])
    t.after(() => app.close())
    const feature = new Flag(uniqueName('FEATURE'), true)
    const message = "No group functions defined on pancake instance 'pancake'. If you don't have users or other types of groups in your application and want a global flag to turn things on and off, use a Switch instead."
    await app.pancakes.run(async () => {
      for (const operation of ['isActiveGroup', 'enableGroup', 'disableGroup', 'clearGroup', 'clearAllGroup']) {
        await assert.rejects(feature[operation]('user', '1'), { code: 'FST_PANCAKE_NO_GROUPS', message }, operation)
      }
      // Without groups, a flag is a switch.
      assert.equal(await feature.isActive(), true)
    })
  })

  test('group operations on a group that is not registered', async (t) => {
    const app = await buildApp([{ groupFuncs: { group: () => 'g' } }])
    t.after(() => app.close())
    const feature = new Flag(uniqueName('FEATURE'), true)
    const message = "Invalid group identifier 'user'. This group is not registered in the pancake instance 'pancake'."
    await app.pancakes.run(async () => {
      for (const operation of ['isActiveGroup', 'enableGroup', 'disableGroup', 'clearGroup', 'clearAllGroup']) {
        await assert.rejects(feature[operation]('user', '1'), { code: 'FST_PANCAKE_INVALID_GROUP', message }, operation)
      }
    })
  })

  test('cannot derive an id when the group function returns nothing', async (t) => {
    const feature = new Flag(uniqueName('FEATURE'), true)
    const errors = []
    const app = await buildApp([{ groupFuncs: { user: () => null, company: () => undefined } }], (app) => {
      app.get('/', async () => {
        for (const operation of ['isActiveGroup', 'enableGroup', 'disableGroup', 'clearGroup']) {
          for (const group of ['user', 'company']) {
            await feature[operation](group).then(() => errors.push(null), (err) => errors.push([err.code, err.message]))
          }
        }
        return { active: await feature.isActive() }
      })
    })
    t.after(() => app.close())
    assert.deepEqual((await app.inject('/')).json(), { active: true })
    assert.equal(errors.length, 8)
    for (let i = 0; i < errors.length; i++) {
      const group = i % 2 === 0 ? 'user' : 'company'
      assert.deepEqual(errors[i], ['FST_PANCAKE_CANNOT_DERIVE', `Cannot derive identifier for group '${group}'`])
    }
    // Outside a request there is no object to derive from.
    await app.pancakes.run(async () => {
      await assert.rejects(feature.enableGroup('user'), { code: 'FST_PANCAKE_CANNOT_DERIVE' })
    })
  })

  test('every operation outside a request fails, saying to use app.pancakes.run', async () => {
    const feature = new Flag(uniqueName('no_context'), true)
    for (const operation of ['isActive', 'isActiveGlobally', 'isActiveGroup', 'enable', 'disable', 'clear', 'enableGroup', 'disableGroup', 'clearGroup', 'clearAllGroup']) {
      await assert.rejects(feature[operation]('user', '1'), (err) => {
        assert.equal(err.code, 'FST_PANCAKE_NO_CONTEXT', operation)
        assert.match(err.message, new RegExp(`^Flag '${feature.name}' was used outside a request\\.`))
        assert.match(err.message, /app\.pancakes\.run\(/)
        return true
      })
    }
  })

  test('key upper-cases the name, not the instance', () => {
    const name = uniqueName('my-flag')
    assert.equal(new Flag(name, true).key, `FLAG:pancake:${name.toUpperCase()}`)
    assert.equal(new Flag(name, true, 'scopy').key, `FLAG:scopy:${name.toUpperCase()}`)
  })
})
