// The `pancake` executable against a real Redis: every command, its exact
// output (flask-pancake's, as SPEC §7 quotes it), --json, --extension.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { cliAgainstRedis } from './helpers/cli.mjs'

let client
const { run, ok } = cliAgainstRedis((redis) => { client = redis.client() })

const DONE = { enable: 'enabled', disable: 'disabled', clear: 'cleared' }

describe('flags', () => {
  test('list: global values and defaults, sorted by name; defaults get stored', async () => {
    assert.equal(await ok(['flags', 'list']), 'DO_SOMETHING_ELSE: Yes (default: Yes)\nFOO_CAN_DO: No (default: No)\n')
    assert.equal(await client.get('FLAG:pancake:DO_SOMETHING_ELSE'), '1')
    assert.equal(await client.get('FLAG:pancake:FOO_CAN_DO'), '0')
  })

  test('enable, disable, clear', async () => {
    assert.equal(await ok(['flags', 'enable', 'FOO_CAN_DO']), "Flag 'FOO_CAN_DO' enabled.\n")
    assert.equal(await client.get('FLAG:pancake:FOO_CAN_DO'), '1')
    assert.equal(await ok(['flags', 'list']), 'DO_SOMETHING_ELSE: Yes (default: Yes)\nFOO_CAN_DO: Yes (default: No)\n')

    assert.equal(await ok(['flags', 'disable', 'DO_SOMETHING_ELSE']), "Flag 'DO_SOMETHING_ELSE' disabled.\n")
    assert.equal(await client.get('FLAG:pancake:DO_SOMETHING_ELSE'), '0')

    assert.equal(await ok(['flags', 'clear', 'FOO_CAN_DO']), "Flag 'FOO_CAN_DO' cleared.\n")
    assert.equal(await client.exists('FLAG:pancake:FOO_CAN_DO'), 0)
    assert.equal(await ok(['flags', 'list']), 'DO_SOMETHING_ELSE: No (default: Yes)\nFOO_CAN_DO: No (default: No)\n')
  })

  test('enable-group, list-group, disable-group, clear-group', async () => {
    assert.equal(await ok(['flags', 'list-group', 'user', '42']), 'DO_SOMETHING_ELSE: N/A (default: Yes)\nFOO_CAN_DO: N/A (default: No)\n')

    assert.equal(await ok(['flags', 'enable-group', 'FOO_CAN_DO', 'user', '42']), "Object '42' in group 'user' for flag 'FOO_CAN_DO' enabled.\n")
    assert.equal(await client.get('FLAG:pancake:k:user:FOO_CAN_DO:42'), '1')
    assert.deepEqual(await client.smembers('FLAG:pancake:t:user:FOO_CAN_DO'), ['FLAG:pancake:k:user:FOO_CAN_DO:42'])
    assert.equal(await ok(['flags', 'list-group', 'user', '42']), 'DO_SOMETHING_ELSE: N/A (default: Yes)\nFOO_CAN_DO: Yes (default: No)\n')
    // Another object, and the same id in another group, have no override.
    assert.equal(await ok(['flags', 'list-group', 'user', '43']), 'DO_SOMETHING_ELSE: N/A (default: Yes)\nFOO_CAN_DO: N/A (default: No)\n')
    assert.equal(await ok(['flags', 'list-group', 'company', '42']), 'DO_SOMETHING_ELSE: N/A (default: Yes)\nFOO_CAN_DO: N/A (default: No)\n')

    assert.equal(await ok(['flags', 'disable-group', 'FOO_CAN_DO', 'user', '42']), "Object '42' in group 'user' for flag 'FOO_CAN_DO' disabled.\n")
    assert.equal(await client.get('FLAG:pancake:k:user:FOO_CAN_DO:42'), '0')
    assert.equal(await ok(['flags', 'list-group', 'user', '42']), 'DO_SOMETHING_ELSE: N/A (default: Yes)\nFOO_CAN_DO: No (default: No)\n')

    assert.equal(await ok(['flags', 'clear-group', 'FOO_CAN_DO', 'user', '42']), "Object '42' in group 'user' for flag 'FOO_CAN_DO' cleared.\n")
    assert.equal(await client.exists('FLAG:pancake:k:user:FOO_CAN_DO:42'), 0)
    assert.deepEqual(await client.smembers('FLAG:pancake:t:user:FOO_CAN_DO'), [])
    assert.equal(await ok(['flags', 'list-group', 'user', '42']), 'DO_SOMETHING_ELSE: N/A (default: Yes)\nFOO_CAN_DO: N/A (default: No)\n')
  })

  test('object ids are quoted as flask-pancake quotes them, negative numbers are ids', async () => {
    assert.equal(await ok(['flags', 'enable-group', 'FOO_CAN_DO', 'user', "it's"]), 'Object "it\'s" in group \'user\' for flag \'FOO_CAN_DO\' enabled.\n')
    assert.equal(await client.get("FLAG:pancake:k:user:FOO_CAN_DO:it's"), '1')
    assert.equal(await ok(['flags', 'enable-group', 'FOO_CAN_DO', 'user', '-1']), "Object '-1' in group 'user' for flag 'FOO_CAN_DO' enabled.\n")
    assert.equal(await client.get('FLAG:pancake:k:user:FOO_CAN_DO:-1'), '1')
    assert.equal(await ok(['flags', 'list-group', 'user', '-1']), 'DO_SOMETHING_ELSE: N/A (default: Yes)\nFOO_CAN_DO: Yes (default: No)\n')
  })

  test('a name differing only in case finds the definition', async () => {
    assert.equal(await ok(['flags', 'enable', 'foo_can_do']), "Flag 'FOO_CAN_DO' enabled.\n")
    assert.equal(await client.get('FLAG:pancake:FOO_CAN_DO'), '1')
  })

  test('a value written by another program reads as the default', async () => {
    await client.set('FLAG:pancake:FOO_CAN_DO', 'yes please')
    assert.equal(await ok(['flags', 'list']), 'DO_SOMETHING_ELSE: Yes (default: Yes)\nFOO_CAN_DO: No (default: No)\n')
  })
})

describe('samples', () => {
  test('set, list, clear, with numbers printed as JavaScript prints them', async () => {
    assert.equal(await ok(['samples', 'list']), 'HALF: 50 (default: 50)\nMY_ODDS: 42 (default: 42)\n')
    assert.equal(await ok(['samples', 'set', 'MY_ODDS', '13']), "Sample 'MY_ODDS' set to '13'.\n")
    assert.equal(await client.get('SAMPLE:pancake:MY_ODDS'), '13')
    assert.equal(await ok(['samples', 'list']), 'HALF: 50 (default: 50)\nMY_ODDS: 13 (default: 42)\n')

    assert.equal(await ok(['samples', 'set', 'MY_ODDS', '13.0']), "Sample 'MY_ODDS' set to '13'.\n")
    assert.equal(await ok(['samples', 'set', 'HALF', '12.5']), "Sample 'HALF' set to '12.5'.\n")
    assert.equal(await client.get('SAMPLE:pancake:HALF'), '12.5')
    assert.equal(await ok(['samples', 'set', 'HALF', '0']), "Sample 'HALF' set to '0'.\n")
    assert.equal(await ok(['samples', 'set', 'HALF', '100']), "Sample 'HALF' set to '100'.\n")

    assert.equal(await ok(['samples', 'clear', 'MY_ODDS']), "Sample 'MY_ODDS' cleared.\n")
    assert.equal(await client.exists('SAMPLE:pancake:MY_ODDS'), 0)
  })

  test('a value flask-pancake wrote ("13.0") lists as 13', async () => {
    await client.set('SAMPLE:pancake:MY_ODDS', '13.0')
    assert.equal(await ok(['samples', 'list']), 'HALF: 50 (default: 50)\nMY_ODDS: 13 (default: 42)\n')
  })
})

describe('switches', () => {
  test('list, enable, disable, clear', async () => {
    assert.equal(await ok(['switches', 'list']), 'MAINTENANCE: No (default: No)\nNEW_CHECKOUT: Yes (default: Yes)\n')
    assert.equal(await ok(['switches', 'enable', 'MAINTENANCE']), "Switch 'MAINTENANCE' enabled.\n")
    assert.equal(await client.get('SWITCH:pancake:MAINTENANCE'), '1')
    assert.equal(await ok(['switches', 'disable', 'NEW_CHECKOUT']), "Switch 'NEW_CHECKOUT' disabled.\n")
    assert.equal(await client.get('SWITCH:pancake:NEW_CHECKOUT'), '0')
    assert.equal(await ok(['switches', 'list']), 'MAINTENANCE: Yes (default: No)\nNEW_CHECKOUT: No (default: Yes)\n')
    assert.equal(await ok(['switches', 'clear', 'MAINTENANCE']), "Switch 'MAINTENANCE' cleared.\n")
    assert.equal(await client.exists('SWITCH:pancake:MAINTENANCE'), 0)
  })
})

describe('--json', () => {
  const json = async (args) => JSON.parse(await ok(['--json', ...args]))

  test('lists', async () => {
    await client.set('FLAG:pancake:k:user:FOO_CAN_DO:42', '1')
    assert.deepEqual(await json(['flags', 'list']), {
      instance: 'pancake',
      store: 'redis',
      flags: [
        { name: 'DO_SOMETHING_ELSE', default: true, is_active: true, rollouts: {} },
        { name: 'FOO_CAN_DO', default: false, is_active: false, rollouts: {} }
      ]
    })
    assert.deepEqual(await json(['flags', 'list-group', 'user', '42']), {
      instance: 'pancake',
      store: 'redis',
      group: 'user',
      object_id: '42',
      flags: [
        { name: 'DO_SOMETHING_ELSE', default: true, is_active: null },
        { name: 'FOO_CAN_DO', default: false, is_active: true }
      ]
    })
    await client.set('SAMPLE:pancake:MY_ODDS', '13.5')
    assert.deepEqual(await json(['samples', 'list']), {
      instance: 'pancake',
      store: 'redis',
      samples: [{ name: 'HALF', default: 50, value: 50 }, { name: 'MY_ODDS', default: 42, value: 13.5 }]
    })
    assert.deepEqual(await json(['switches', 'list']), {
      instance: 'pancake',
      store: 'redis',
      switches: [{ name: 'MAINTENANCE', default: false, is_active: false }, { name: 'NEW_CHECKOUT', default: true, is_active: true }]
    })
  })

  test('changes', async () => {
    const head = { instance: 'pancake', store: 'redis' }
    for (const action of ['enable', 'disable', 'clear']) {
      assert.deepEqual(await json(['flags', action, 'FOO_CAN_DO']), { ...head, kind: 'flag', name: 'FOO_CAN_DO', action: DONE[action] })
      assert.deepEqual(await json(['switches', action, 'MAINTENANCE']), { ...head, kind: 'switch', name: 'MAINTENANCE', action: DONE[action] })
      assert.deepEqual(await json(['flags', `${action}-group`, 'FOO_CAN_DO', 'user', '7']), {
        ...head, kind: 'flag', name: 'FOO_CAN_DO', group: 'user', object_id: '7', action: DONE[action]
      })
    }
    assert.deepEqual(await json(['samples', 'set', 'MY_ODDS', '13']), { ...head, kind: 'sample', name: 'MY_ODDS', action: 'set', value: 13 })
    assert.deepEqual(await json(['samples', 'clear', 'MY_ODDS']), { ...head, kind: 'sample', name: 'MY_ODDS', action: 'cleared' })
  })
})

describe('choosing the app and the instance', () => {
  test('--extension and its alias --pancake pick a named instance', async () => {
    assert.equal(await ok(['--extension', 'admin', 'flags', 'list']), 'ADMIN_BETA: No (default: No)\n')
    assert.equal(await ok(['flags', 'enable', 'ADMIN_BETA', '--pancake', 'admin']), "Flag 'ADMIN_BETA' enabled.\n")
    assert.equal(await client.get('FLAG:admin:ADMIN_BETA'), '1')
    assert.equal(await client.exists('FLAG:pancake:ADMIN_BETA'), 0)
    assert.equal(await ok(['samples', 'list', '--extension=admin']), 'ADMIN_ODDS: 5 (default: 5)\n')
    assert.equal(await ok(['switches', 'list', '--pancake=admin']), 'ADMIN_ONLY: Yes (default: Yes)\n')
    const listed = JSON.parse(await ok(['--json', '--pancake', 'admin', 'switches', 'list']))
    assert.equal(listed.instance, 'admin')
  })

  test('PANCAKE_APP names the app; options may follow the command', async () => {
    const result = await run(['switches', 'list', '--json'], { env: { PANCAKE_APP: 'app.mjs' } })
    assert.equal(result.code, 0)
    assert.equal(JSON.parse(result.stdout).switches.length, 2)
    // --app wins over PANCAKE_APP.
    const cjs = await run(['switches', 'list', '--app=app.cjs'], { env: { PANCAKE_APP: 'app.mjs' } })
    assert.equal(cjs.stdout, 'CJS_SWITCH: Yes (default: Yes)\n')
  })

  test('a path is resolved against the working directory', async () => {
    const result = await run(['--app', 'test/fixtures/cli/app.mjs', 'switches', 'list'], { cwd: new URL('..', import.meta.url).pathname })
    assert.equal(result.code, 0)
    assert.equal(result.stdout, 'MAINTENANCE: No (default: No)\nNEW_CHECKOUT: Yes (default: Yes)\n')
  })
})
