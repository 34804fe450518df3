// Switches: flask-pancake's tests/test_switches.py, on both stores.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Flag, Sample, Switch } from '../dist/index.mjs'
import { buildApp, uniqueName } from './helpers/app.mjs'
import { redisForThisFile } from './helpers/redis.mjs'
import { build, raw, storeKinds } from './helpers/stores.mjs'

const redis = redisForThisFile()
const stores = storeKinds(redis)

for (const [storeName, storeOptions] of Object.entries(stores)) {
  describe(`Switch on the ${storeName} store`, () => {
    test('stores its default on first check, then follows enable/disable/clear', async (t) => {
      const app = await build(storeOptions, {})
      t.after(() => app.close())
      const off = new Switch(uniqueName('default_off'), false)
      const on = new Switch(uniqueName('default_on'), true)

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
        await off.clear()
      })
      assert.equal(await raw(app, off.key), null)

      // Cleared: the next check stores the default again.
      assert.equal(await app.pancakes.run(() => off.isActive()), false)
      assert.equal(await raw(app, off.key), '0')
    })

    test('a changed default in code does not override a stored value', async (t) => {
      const app = await build(storeOptions, {})
      t.after(() => app.close())
      const name = uniqueName('sticky')
      const before = new Switch(name, false)
      assert.equal(await app.pancakes.run(() => before.isActive()), false)
      const after = new Switch(name, true)
      assert.equal(await app.pancakes.run(() => after.isActive()), false)
      assert.equal(await raw(app, after.key), '0')
    })

    test('gates a route in a request, and a change made in the request is seen by the next check', async (t) => {
      const FEATURE = new Switch(uniqueName('route'), false)
      const app = await build(storeOptions, {}, (app) => {
        app.get('/', async () => ({ active: await FEATURE.isActive() }))
        app.post('/flip', async () => {
          const before = await FEATURE.isActive()
          if (before) await FEATURE.disable()
          else await FEATURE.enable()
          return { before, after: await FEATURE.isActive() }
        })
      })
      t.after(() => app.close())
      assert.deepEqual((await app.inject('/')).json(), { active: false })
      assert.deepEqual((await app.inject({ method: 'POST', url: '/flip' })).json(), { before: false, after: true })
      assert.deepEqual((await app.inject('/')).json(), { active: true })
      await app.pancakes.run(() => FEATURE.disable())
      assert.deepEqual((await app.inject('/')).json(), { active: false })
    })

    test('clear in a request forgets the checked value', async (t) => {
      const FEATURE = new Switch(uniqueName('clear_in_request'), true)
      const app = await build(storeOptions, {}, (app) => {
        app.get('/', async () => {
          await FEATURE.disable()
          const disabled = await FEATURE.isActive()
          await FEATURE.clear()
          return { disabled, cleared: await FEATURE.isActive() }
        })
      })
      t.after(() => app.close())
      assert.deepEqual((await app.inject('/')).json(), { disabled: false, cleared: true })
    })
  })
}

describe('Switch definition', () => {
  test('key upper-cases the name, not the instance', () => {
    const name = uniqueName('my-switch')
    assert.equal(new Switch(name, true).key, `SWITCH:pancake:${name.toUpperCase()}`)
    assert.equal(new Switch(name, true, 'scopy').key, `SWITCH:scopy:${name.toUpperCase()}`)
    assert.equal(new Switch(name, true, 'Mixed_Case').key, `SWITCH:Mixed_Case:${name.toUpperCase()}`)
  })

  test('keeps its name, default and instance', () => {
    const name = uniqueName('Props')
    const feature = new Switch(name, true, 'other')
    assert.equal(feature.name, name)
    assert.equal(feature.default, true)
    assert.equal(feature.instance, 'other')
    assert.equal(new Switch(uniqueName('x'), false).instance, 'pancake')
  })

  for (const bad of [2, 0, 1, 'true', null, undefined, NaN, {}]) {
    test(`rejects the default ${String(bad)}`, () => {
      assert.throws(() => new Switch('X', bad), {
        code: 'FST_PANCAKE_INVALID_DEFAULT',
        message: 'Default value for switch X must be true or false.'
      })
    })
  }

  for (const bad of ['', undefined, 42]) {
    test(`rejects the name ${JSON.stringify(bad)}`, () => {
      assert.throws(() => new Switch(bad, true), { code: 'FST_PANCAKE_INVALID_NAME' })
    })
  }

  test('rejects ":" in a name, which would make its keys collide with another definition\'s', async () => {
    // Flag('B:1') for user '5' and Flag('B') for user '1:5' share FLAG:pancake:k:user:B:1:5.
    for (const make of [() => new Switch('B:1', true), () => new Flag('B:1', false), () => new Sample('B:1', 5)]) {
      assert.throws(make, (err) => err.code === 'FST_PANCAKE_INVALID_NAME' && /without ":"/.test(err.message) && /"B:1"/.test(err.message))
    }
    assert.throws(() => new Switch(uniqueName('x'), true, 'a:b'), { code: 'FST_PANCAKE_INVALID_NAME', message: /pancake instance must be a non-empty string without ":".*"a:b"/ })
    await assert.rejects(buildApp([{ name: 'a:b' }]), { code: 'FST_PANCAKE_INVALID_OPTION', message: /option "name" must be a non-empty string without ":", got "a:b"/ })
  })

  test('rejects an empty instance name', () => {
    assert.throws(() => new Switch(uniqueName('x'), true, ''), { code: 'FST_PANCAKE_INVALID_NAME', message: /pancake instance/ })
  })

  test('every operation outside a request fails, saying to use app.pancakes.run', async () => {
    const feature = new Switch(uniqueName('no_context'), true)
    for (const operation of ['isActive', 'enable', 'disable', 'clear']) {
      await assert.rejects(feature[operation](), (err) => {
        assert.equal(err.code, 'FST_PANCAKE_NO_CONTEXT')
        assert.match(err.message, new RegExp(`^Switch '${feature.name}' was used outside a request\\.`))
        assert.match(err.message, /app\.pancakes\.run\(/)
        return true
      })
    }
  })
})
