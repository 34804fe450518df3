// How the `pancake` executable finds the app: the shapes a module may
// export it in, and what it says when there is no app to find.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { FIXTURES } from './fixtures/cli/run.mjs'
import { cliAgainstRedis, withoutNodeWarnings } from './helpers/cli.mjs'

const { run } = cliAgainstRedis()

const SWITCHES = 'MAINTENANCE: No (default: No)\nNEW_CHECKOUT: Yes (default: Yes)\n'

describe('the app may be exported as', () => {
  const shapes = {
    'app.mjs': 'an ES module: a Fastify instance as default export',
    'named.mjs': 'an ES module: a Fastify instance as export `app`',
    'factory.mjs': 'an ES module: an async factory as default export',
    'ready.mjs': 'an ES module: an app it made ready itself',
    'promise.mjs': 'an ES module: a promise of an app',
    'fastify-redis.mjs': 'an app that uses @fastify/redis'
  }
  for (const [file, what] of Object.entries(shapes)) {
    test(what, async () => {
      assert.deepEqual(await run(['--app', file, 'switches', 'list']), { code: 0, stdout: SWITCHES, stderr: '' })
    })
  }

  test('CommonJS: a sync factory as module.exports, or as a compiled `export default`', async () => {
    for (const file of ['app.cjs', 'compiled.cjs']) {
      assert.deepEqual(await run(['--app', file, 'switches', 'list']), { code: 0, stdout: 'CJS_SWITCH: Yes (default: Yes)\n', stderr: '' })
    }
  })

  test('TypeScript, when Node runs with a TypeScript loader', async () => {
    const result = await run(['--app', 'app.ts', 'switches', 'list'], { nodeArgs: ['--import', './ts-loader.mjs'] })
    assert.deepEqual(result, { code: 0, stdout: SWITCHES, stderr: '' })
    const viaNodeOptions = await run(['--app', 'app.ts', 'switches', 'list'], { env: { NODE_OPTIONS: '--import ./ts-loader.mjs' } })
    assert.deepEqual(viaNodeOptions, { code: 0, stdout: SWITCHES, stderr: '' })
  })

  test('an app whose logger writes to stdout keeps --json parseable', async () => {
    const result = await run(['--app', 'logger.mjs', '--json', 'switches', 'list'])
    assert.equal(result.code, 0)
    assert.deepEqual(JSON.parse(result.stdout).switches.map(({ name }) => name), ['MAINTENANCE', 'NEW_CHECKOUT'])
  })
})

describe('no app to find: exit 1 with what was expected', () => {
  const expected = 'Expected a Fastify instance, or a function (sync or async) that returns one, as its default export or as the export named `app`'
  const fails = async (file, message) => {
    const result = await run(['--app', file, 'flags', 'list'])
    assert.deepEqual(result, { code: 1, stdout: '', stderr: `Error: ${message}\n` }, file)
  }

  test('no such file', async () => {
    await fails('missing.mjs', `Cannot load the app: there is no module at ${FIXTURES}missing.mjs. Pass the file that exports your Fastify app with --app PATH or PANCAKE_APP.`)
  })

  test('a module that throws', async () => {
    await fails('throws.mjs', `Cannot load the app from ${FIXTURES}throws.mjs: database password missing`)
  })

  test('a module without an app', async () => {
    await fails('not-an-app.mjs', `The module ${FIXTURES}not-an-app.mjs does not export an app. ${expected}; it exports \`answer\`, \`helper\`.`)
  })

  test('a plugin instead of an app', async () => {
    await fails('plugin.mjs', `The default export of ${FIXTURES}plugin.mjs looks like a Fastify plugin (a function of (fastify, options)). ${expected}.`)
  })

  test('a factory that returns nothing', async () => {
    await fails('returns-nothing.mjs', `The function exported as the default export of ${FIXTURES}returns-nothing.mjs returned nothing, not a Fastify instance. ${expected}.`)
  })

  test('an app without fastify-pancake', async () => {
    await fails('no-pancake.mjs', `The app from ${FIXTURES}no-pancake.mjs does not register fastify-pancake: app.pancakes is missing.`)
  })

  test('TypeScript without a loader says how to add one', async () => {
    const result = await run(['--app', 'app.ts', 'flags', 'list'])
    assert.equal(result.code, 1)
    // Node 24 strips types itself, and fails on the module syntax instead.
    assert.match(withoutNodeWarnings(result.stderr), /^Error: Cannot load the app from .*app\.ts: .*\(to load TypeScript sources, run the command under a TypeScript loader, e\.g\. NODE_OPTIONS="--import tsx" pancake \.\.\.\)\n$/)
  })

  test('--json reports it as JSON', async () => {
    const result = await run(['--app', 'missing.mjs', '--json', 'flags', 'list'])
    assert.equal(result.code, 1)
    assert.equal(JSON.parse(result.stderr).error.code, 'FST_PANCAKE_CLI_APP')
  })
})
