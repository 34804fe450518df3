// Every way the `pancake` executable can fail, with its exit status: 2 for
// a command line that makes no sense, 1 for the rest.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { describe, test } from 'node:test'
import { cliAgainstRedis } from './helpers/cli.mjs'
import { freePort } from './helpers/redis.mjs'

let client
const { run } = cliAgainstRedis((redis) => { client = redis.client() })

/** Asserts a usage error: the usage line, a pointer to --help, the error, exit 2. */
function usage (result, usageLine, helpCommand, message) {
  assert.equal(result.code, 2, result.stderr)
  assert.equal(result.stdout, '')
  assert.equal(result.stderr, `${usageLine}\nTry '${helpCommand}' for help.\n\nError: ${message}\n`)
}

describe('usage errors exit 2 with the usage text', () => {
  test('unknown commands', async () => {
    usage(await run(['--app', 'app.mjs', 'flag', 'list']), 'Usage: pancake [OPTIONS] COMMAND [ARGS]...', 'pancake --help', "No such command 'flag'.")
    usage(await run(['--app', 'app.mjs', 'flags', 'toggle', 'X']), 'Usage: pancake flags [OPTIONS] COMMAND [ARGS]...', 'pancake flags --help', "No such command 'toggle'.")
    usage(await run(['--app', 'app.mjs', 'samples', 'enable', 'X']), 'Usage: pancake samples [OPTIONS] COMMAND [ARGS]...', 'pancake samples --help', "No such command 'enable'.")
  })

  test('a missing command shows the help of its level', async () => {
    for (const [args, first] of [[[], 'Usage: pancake [OPTIONS] COMMAND [ARGS]...'], [['switches'], 'Usage: pancake switches [OPTIONS] COMMAND [ARGS]...']]) {
      const result = await run(['--app', 'app.mjs', ...args])
      assert.equal(result.code, 2)
      assert.equal(result.stdout, '')
      assert.equal(result.stderr.split('\n')[0], first)
      assert.match(result.stderr, /\nCommands:\n/)
      assert.match(result.stderr, /\n\nError: Missing command\.\n$/)
    }
  })

  test('missing and extra arguments', async () => {
    usage(await run(['--app', 'app.mjs', 'flags', 'enable']), 'Usage: pancake flags enable [OPTIONS] NAME', 'pancake flags enable --help', "Missing argument 'NAME'.")
    usage(await run(['--app', 'app.mjs', 'flags', 'enable-group', 'FOO_CAN_DO', 'user']), 'Usage: pancake flags enable-group [OPTIONS] NAME GROUP ID', 'pancake flags enable-group --help', "Missing argument 'ID'.")
    usage(await run(['--app', 'app.mjs', 'flags', 'list-group']), 'Usage: pancake flags list-group [OPTIONS] GROUP ID', 'pancake flags list-group --help', "Missing argument 'GROUP'.")
    usage(await run(['--app', 'app.mjs', 'samples', 'set', 'MY_ODDS']), 'Usage: pancake samples set [OPTIONS] NAME VALUE', 'pancake samples set --help', "Missing argument 'VALUE'.")
    usage(await run(['--app', 'app.mjs', 'switches', 'list', 'extra']), 'Usage: pancake switches list [OPTIONS]', 'pancake switches list --help', 'Got unexpected extra argument (extra)')
    usage(await run(['--app', 'app.mjs', 'flags', 'clear', 'A', 'B', 'C']), 'Usage: pancake flags clear [OPTIONS] NAME', 'pancake flags clear --help', 'Got unexpected extra arguments (B C)')
  })

  test('options', async () => {
    const line = 'Usage: pancake flags list [OPTIONS]'
    const help = 'pancake flags list --help'
    usage(await run(['--app', 'app.mjs', 'flags', 'list', '--frobnicate']), line, help, 'No such option: --frobnicate')
    usage(await run(['--app', 'app.mjs', 'flags', 'list', '-x']), line, help, 'No such option: -x')
    usage(await run(['flags', 'list', '--app']), line, help, "Option '--app' requires an argument.")
    usage(await run(['flags', 'list', '--app', '--json']), line, help, "Option '--app' requires an argument.")
    usage(await run(['--app', 'app.mjs', 'flags', 'list', '--json=yes']), line, help, "Option '--json' does not take a value.")
    usage(await run(['--app', 'app.mjs', 'flags', 'list', '--timeout', 'soon']), line, help, "Invalid value for '--timeout': 'soon' is not a positive whole number of milliseconds.")
    usage(await run(['--app', 'app.mjs', 'flags', 'list', '--timeout=0']), line, help, "Invalid value for '--timeout': '0' is not a positive whole number of milliseconds.")
    usage(await run(['--app', 'app.mjs', 'flags', 'list', '--extension=']), line, help, "Invalid value for '--extension': the instance name cannot be empty.")
  })

  test('no app named', async () => {
    usage(await run(['flags', 'list']), 'Usage: pancake flags list [OPTIONS]', 'pancake flags list --help',
      "Missing option '--app'. Name the module that exports your Fastify app with --app PATH or the PANCAKE_APP environment variable.")
    usage(await run(['flags', 'list'], { env: { PANCAKE_APP: '' } }), 'Usage: pancake flags list [OPTIONS]', 'pancake flags list --help',
      "Missing option '--app'. Name the module that exports your Fastify app with --app PATH or the PANCAKE_APP environment variable.")
  })

  test('a sample value outside [0, 100] or not a number, and nothing is written', async () => {
    for (const value of ['101', '100.5', '-1', '-0.5', 'abc', 'NaN', 'nan', 'Infinity', 'inf', '1e3', '', ' ', '0x10', '13%']) {
      usage(await run(['--app', 'app.mjs', 'samples', 'set', 'MY_ODDS', value]), 'Usage: pancake samples set [OPTIONS] NAME VALUE', 'pancake samples set --help',
        "Invalid value for 'VALUE': Value for sample must be in the range [0, 100].")
    }
    assert.deepEqual(await client.keys('*'), [])
  })

  test('an empty object id is no object, and nothing is written', async () => {
    const message = "Invalid value for 'ID': an object id cannot be empty."
    for (const action of ['enable-group', 'disable-group', 'clear-group']) {
      usage(await run(['--app', 'app.mjs', 'flags', action, 'FOO_CAN_DO', 'user', '']), `Usage: pancake flags ${action} [OPTIONS] NAME GROUP ID`, `pancake flags ${action} --help`, message)
    }
    usage(await run(['--app', 'app.mjs', 'flags', 'list-group', 'user', '']), 'Usage: pancake flags list-group [OPTIONS] GROUP ID', 'pancake flags list-group --help', message)
    assert.deepEqual(await client.keys('*'), [])
  })

  test('--json reports usage errors as JSON', async () => {
    const result = await run(['--json', '--app', 'app.mjs', 'samples', 'set', 'MY_ODDS', '101'])
    assert.equal(result.code, 2)
    assert.equal(result.stdout, '')
    assert.deepEqual(JSON.parse(result.stderr), {
      error: { code: 'FST_PANCAKE_CLI_USAGE', message: "Invalid value for 'VALUE': Value for sample must be in the range [0, 100]." }
    })
  })
})

describe('unknown names exit 1 and list the known ones', () => {
  test('definitions', async () => {
    const cases = [
      [['flags', 'enable', 'NOPE'], "Error: No flag named 'NOPE' in pancake instance 'pancake'. Known flags: DO_SOMETHING_ELSE, FOO_CAN_DO.\n"],
      [['flags', 'enable-group', 'NOPE', 'user', '1'], "Error: No flag named 'NOPE' in pancake instance 'pancake'. Known flags: DO_SOMETHING_ELSE, FOO_CAN_DO.\n"],
      [['samples', 'set', 'NOPE', '5'], "Error: No sample named 'NOPE' in pancake instance 'pancake'. Known samples: HALF, MY_ODDS.\n"],
      [['samples', 'clear', 'NOPE'], "Error: No sample named 'NOPE' in pancake instance 'pancake'. Known samples: HALF, MY_ODDS.\n"],
      [['switches', 'disable', 'NOPE'], "Error: No switch named 'NOPE' in pancake instance 'pancake'. Known switches: MAINTENANCE, NEW_CHECKOUT.\n"],
      // A switch is not a flag.
      [['flags', 'enable', 'MAINTENANCE'], "Error: No flag named 'MAINTENANCE' in pancake instance 'pancake'. Known flags: DO_SOMETHING_ELSE, FOO_CAN_DO.\n"],
      [['--extension', 'admin', 'switches', 'clear', 'MAINTENANCE'], "Error: No switch named 'MAINTENANCE' in pancake instance 'admin'. Known switches: ADMIN_ONLY.\n"]
    ]
    for (const [args, stderr] of cases) {
      assert.deepEqual(await run(['--app', 'app.mjs', ...args]), { code: 1, stdout: '', stderr }, args.join(' '))
    }
    const json = await run(['--app', 'app.mjs', '--json', 'samples', 'clear', 'NOPE'])
    assert.equal(json.code, 1)
    assert.deepEqual(JSON.parse(json.stderr), {
      error: {
        code: 'FST_PANCAKE_CLI_UNKNOWN_DEFINITION',
        message: "No sample named 'NOPE' in pancake instance 'pancake'. Known samples: HALF, MY_ODDS.",
        known: ['HALF', 'MY_ODDS']
      }
    })
    // The app stored its defaults when it started; nothing else was written.
    assert.deepEqual(await client.keys('*NOPE*'), [])
    assert.deepEqual(await client.keys('FLAG:*:k:*'), [])
    assert.equal(await client.get('FLAG:pancake:FOO_CAN_DO'), '0')
  })

  test('an instance with no definitions of the kind', async () => {
    const result = await run(['--app', 'app.cjs', 'flags', 'enable', 'BETA'])
    assert.deepEqual(result, { code: 1, stdout: '', stderr: "Error: No flag named 'BETA' in pancake instance 'pancake'. Known flags: none.\n" })
  })

  test('instances', async () => {
    const result = await run(['--app', 'app.mjs', '--extension', 'frontend', 'flags', 'list'])
    assert.deepEqual(result, { code: 1, stdout: '', stderr: "Error: No pancake instance 'frontend' is registered on this app (registered: 'pancake', 'admin').\n" })
    const json = await run(['--app', 'app.mjs', '--pancake', 'frontend', '--json', 'flags', 'list'])
    assert.equal(json.code, 1)
    assert.deepEqual(JSON.parse(json.stderr).error, {
      code: 'FST_PANCAKE_UNKNOWN_INSTANCE',
      message: "No pancake instance 'frontend' is registered on this app (registered: 'pancake', 'admin').",
      known: ['pancake', 'admin']
    })
  })

  test('groups', async () => {
    for (const args of [['flags', 'list-group', 'usr', '1'], ['flags', 'enable-group', 'FOO_CAN_DO', 'usr', '1'], ['flags', 'clear-group', 'FOO_CAN_DO', 'usr', '1']]) {
      assert.deepEqual(await run(['--app', 'app.mjs', ...args]), {
        code: 1,
        stdout: '',
        stderr: "Error: Invalid group identifier 'usr'. This group is not registered in the pancake instance 'pancake'. Known groups: user, company.\n"
      })
    }
    const json = await run(['--app', 'app.mjs', '--json', 'flags', 'list-group', 'usr', '1'])
    assert.deepEqual(JSON.parse(json.stderr).error.known, ['user', 'company'])

    const none = await run(['--app', 'no-groups.mjs', 'flags', 'enable-group', 'FOO_CAN_DO', 'user', '1'])
    assert.equal(none.code, 1)
    assert.equal(none.stderr, "Error: No group functions defined on pancake instance 'pancake'. If you don't have users or other types of groups in your application and want a global flag to turn things on and off, use a Switch instead.\n")
    assert.deepEqual(await client.keys('FLAG:*:k:*'), [])
  })
})

describe('the memory store', () => {
  test('commands that change state refuse, exit 1', async () => {
    const refusal = "Error: Pancake instance 'pancake' uses the in-memory store, which lives inside each process: a change made by this command would vanish when it exits and never reach a running server. Give the app a Redis (the `redis` option, or @fastify/redis) to change state from the command line.\n"
    const commands = [
      ['flags', 'enable', 'FOO_CAN_DO'], ['flags', 'disable', 'FOO_CAN_DO'], ['flags', 'clear', 'FOO_CAN_DO'],
      ['flags', 'enable-group', 'FOO_CAN_DO', 'user', '1'], ['flags', 'disable-group', 'FOO_CAN_DO', 'user', '1'], ['flags', 'clear-group', 'FOO_CAN_DO', 'user', '1'],
      ['samples', 'set', 'MY_ODDS', '1'], ['samples', 'clear', 'MY_ODDS'],
      ['switches', 'enable', 'MAINTENANCE'], ['switches', 'disable', 'MAINTENANCE'], ['switches', 'clear', 'MAINTENANCE']
    ]
    for (const args of commands) {
      assert.deepEqual(await run(['--app', 'memory.mjs', ...args]), { code: 1, stdout: '', stderr: refusal }, args.join(' '))
    }
    const json = await run(['--app', 'memory.mjs', '--json', 'switches', 'enable', 'MAINTENANCE'])
    assert.equal(JSON.parse(json.stderr).error.code, 'FST_PANCAKE_CLI_MEMORY_STORE')
  })

  test('lists work and say they show the defaults of a fresh process', async () => {
    const note = "Note: pancake instance 'pancake' uses the in-memory store: these are the values of a fresh process (the defaults), not those of a running server.\n"
    assert.deepEqual(await run(['--app', 'memory.mjs', 'flags', 'list']), { code: 0, stdout: 'DO_SOMETHING_ELSE: Yes (default: Yes)\nFOO_CAN_DO: No (default: No)\n', stderr: note })
    assert.deepEqual(await run(['--app', 'memory.mjs', 'flags', 'list-group', 'user', '1']), { code: 0, stdout: 'DO_SOMETHING_ELSE: N/A (default: Yes)\nFOO_CAN_DO: N/A (default: No)\n', stderr: note })
    assert.deepEqual(await run(['--app', 'memory.mjs', 'samples', 'list']), { code: 0, stdout: 'HALF: 50 (default: 50)\nMY_ODDS: 42 (default: 42)\n', stderr: note })
    const json = await run(['--app', 'memory.mjs', '--json', 'switches', 'list'])
    assert.equal(json.code, 0)
    assert.equal(JSON.parse(json.stdout).store, 'memory')
    assert.equal(json.stderr, note)
  })
})

describe('an unreachable store fails fast with exit 1', () => {
  const refused = (port) => `Error: Cannot reach the redis store of pancake instance 'pancake': connect ECONNREFUSED 127.0.0.1:${port}. Is Redis at 127.0.0.1:${port} running and reachable from here?\n`

  test('nothing listening', async () => {
    const port = await freePort()
    const dead = { PANCAKE_TEST_REDIS: `redis://127.0.0.1:${port}` }
    for (const args of [['flags', 'list'], ['flags', 'enable', 'FOO_CAN_DO'], ['samples', 'set', 'MY_ODDS', '5']]) {
      assert.deepEqual(await run(['--app', 'app.mjs', ...args], { env: dead }), { code: 1, stdout: '', stderr: refused(port) }, args.join(' '))
    }
    // Not bounded by --timeout: the first refused connection ends it.
    assert.deepEqual(await run(['--app', 'app.mjs', '--timeout', '600000', 'switches', 'list'], { env: dead }), { code: 1, stdout: '', stderr: refused(port) })
    const json = await run(['--app', 'factory.mjs', '--json', 'switches', 'list'], { env: dead })
    assert.equal(JSON.parse(json.stderr).error.code, 'FST_PANCAKE_CLI_STORE_UNREACHABLE')
  })

  test('a server that accepts connections and never answers', async () => {
    const silent = createServer(() => {})
    silent.listen(0, '127.0.0.1')
    await once(silent, 'listening')
    const { port } = silent.address()
    try {
      const result = await run(['--app', 'app.mjs', '--timeout', '300', 'flags', 'list'], { env: { PANCAKE_TEST_REDIS: `redis://127.0.0.1:${port}` } })
      assert.deepEqual(result, {
        code: 1,
        stdout: '',
        stderr: `Error: Cannot reach the redis store of pancake instance 'pancake': no connection within 300 ms. Is Redis at 127.0.0.1:${port} running and reachable from here?\n`
      })
    } finally {
      silent.closeAllConnections?.()
      silent.close()
    }
  })

  test('a Redis that stops answering during the command', async () => {
    // Paused for writes, Redis still connects and answers INFO, but holds
    // every script: each store operation must give up on its own.
    await client.client('PAUSE', 60_000, 'WRITE')
    try {
      const env = { PANCAKE_TEST_WRITE_TIMEOUT: '100' }
      const list = await run(['--app', 'app.mjs', '--timeout', '300', 'switches', 'list'], { env })
      assert.equal(list.code, 1)
      assert.equal(list.stdout, '')
      assert.match(list.stderr, /^Error: Cannot reach the redis store of pancake instance 'pancake': no answer within 300 ms while reading SWITCH:pancake:MAINTENANCE\. Is Redis at 127\.0\.0\.1:\d+ running and reachable from here\?\n$/)
      const write = await run(['--app', 'app.mjs', '--timeout', '300', 'switches', 'enable', 'MAINTENANCE'], { env })
      assert.equal(write.code, 1)
      // The app's own writeTimeout (100 ms here) gives up first.
      assert.equal(write.stderr, 'Error: fastify-pancake: the store could not complete the write: writing took longer than 100 ms\n')
    } finally {
      await client.client('UNPAUSE')
    }
  })

  test('@fastify/redis holding the app while it waits for Redis', async () => {
    const port = await freePort()
    const result = await run(['--app', 'fastify-redis.mjs', '--timeout', '300', 'flags', 'list'], { env: { PANCAKE_TEST_REDIS: `redis://127.0.0.1:${port}` } })
    assert.deepEqual(result, {
      code: 1,
      stdout: '',
      stderr: `Error: The app did not become ready within 300 ms: app.redis (@fastify/redis) is not connected. Is Redis at 127.0.0.1:${port} running and reachable from here? Check it, or allow longer with --timeout.\n`
    })
  })
})

describe('other failures exit 1', () => {
  test('a store error is reported, not thrown', async () => {
    // A tracking set of the wrong type makes the write script fail.
    await client.set('FLAG:pancake:t:user:FOO_CAN_DO', 'not a set')
    const result = await run(['--app', 'app.mjs', 'flags', 'enable-group', 'FOO_CAN_DO', 'user', '1'])
    assert.equal(result.code, 1)
    assert.equal(result.stdout, '')
    assert.match(result.stderr, /^Error: .*WRONGTYPE/)
    assert.equal(await client.exists('FLAG:pancake:k:user:FOO_CAN_DO:1'), 0)
  })

  test('an app that fails to start', async () => {
    const result = await run(['--app', 'app.mjs', 'flags', 'list'], { env: { PANCAKE_TEST_REDIS: 'http://example.com' } })
    assert.deepEqual(result, { code: 1, stdout: '', stderr: 'Error: fastify-pancake: option "redis" must be a redis:// or rediss:// URL, got "http://example.com"\n' })
  })
})
