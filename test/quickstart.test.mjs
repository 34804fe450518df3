// The README's quick start, run as written: each command of its shell blocks
// against the demo app (docs/examples/demo.mjs), each `# comment` that names
// a status or a body checked. A command the demo's store cannot see (a
// `redis-cli` write to the memory store) fails the test.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { buildDemo } from '../docs/examples/demo.mjs'
import { redisForThisFile } from './helpers/redis.mjs'

const root = join(import.meta.dirname, '..')
const redis = redisForThisFile()

/** The shell block that follows the first paragraph matching `intro`. */
async function shellBlockAfter (intro) {
  const readme = await readFile(join(root, 'README.md'), 'utf8')
  const at = readme.search(intro)
  assert.notEqual(at, -1, `README: no paragraph matching ${intro}`)
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at))
  assert.ok(block, `README: no shell block after ${intro}`)
  return block[1].split('\n').filter((line) => line.trim() !== '')
}

/** Shell words, with single and double quotes; enough for the README. */
function words (command) {
  const found = []
  for (const [, single, double, bare] of command.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) found.push(single ?? double ?? bare)
  return found
}

/** `command  # comment`: the command, the comment, and any `(or: command)` it offers. */
function parse (line) {
  const hash = line.search(/\s#\s/)
  const command = (hash === -1 ? line : line.slice(0, hash)).trim()
  const comment = hash === -1 ? '' : line.slice(hash).replace(/^\s#\s/, '').trim()
  const alternative = /\(or: ([^)]*)\)/.exec(comment)?.[1]
  return { command, comment, alternative }
}

/** What a curl command's comment promises: a status (`404`, `200 Hello World!`) or a JSON body. */
function expectation (comment) {
  const status = /^(\d{3})\b\s*(.*)$/.exec(comment)
  if (status !== null) return { status: Number(status[1]), text: status[2].split(/[:(]/)[0].trim() }
  if (comment.startsWith('{')) return { status: 200, json: JSON.parse(comment.split(/\s/)[0]) }
  return { status: 200 }
}

function injection (args) {
  const request = { method: 'GET', headers: {} }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === '-i' || arg === '-s') continue
    if (arg === '-X') request.method = args[++i]
    else if (arg === '-H') {
      const [name, ...value] = args[++i].split(':')
      request.headers[name.toLowerCase()] = value.join(':').trim()
    } else request.url = new URL(`http://${arg}`).pathname + new URL(`http://${arg}`).search
  }
  return request
}

/** Runs one curl line through `app.inject`, until its comment holds (a change by another program arrives in its own time). */
async function curl (app, args, comment) {
  const expected = expectation(comment)
  const request = injection(args)
  const deadline = Date.now() + 5000
  for (;;) {
    const response = await app.inject(request)
    const holds = response.statusCode === expected.status &&
      (expected.text === undefined || response.body.includes(expected.text)) &&
      (expected.json === undefined || JSON.stringify(response.json()) === JSON.stringify(expected.json))
    if (holds) return
    if (Date.now() > deadline) assert.fail(`curl ${args.join(' ')}: expected ${JSON.stringify(expected)}, got ${response.statusCode} ${response.body}`)
    await sleep(10)
  }
}

/**
 * Runs one command of the README against the demo. `store` is what the
 * demo runs on: only HTTP reaches the memory store.
 */
async function run (app, command, comment, store) {
  const args = words(command)
  const env = {}
  while (/^[A-Z_]+=/.test(args[0])) {
    const [name, ...value] = args.shift().split('=')
    env[name] = value.join('=')
  }
  const [program, ...rest] = args
  if (program === 'curl') return await curl(app, rest, comment)
  assert.equal(store, 'redis', `\`${command}\` cannot reach the demo: it runs on the memory store, inside its own process`)
  if (program === 'redis-cli') return await redis.client().call(...rest)
  if (program === 'npx' && rest[0] === 'pancake') {
    const cli = join(root, 'dist/cli/index.js')
    await promisify(execFile)(process.execPath, [cli, ...rest.slice(1)], {
      cwd: root,
      env: { ...process.env, ...env, REDIS_URL: redis.url, NO_COLOR: '1' }
    })
    return
  }
  assert.fail(`README: no way to run \`${command}\` in this test`)
}

test('the demo block of the quick start answers as its comments say, on the memory store `npm run demo` uses', async (t) => {
  const app = await buildDemo({ logger: false, redisUrl: null })
  t.after(() => app.close())
  assert.equal(app.pancakes.get().store.kind, 'memory')
  for (const line of await shellBlockAfter(/Try the demo from another terminal/)) {
    const { command, comment, alternative } = parse(line)
    await run(app, command, comment, 'memory')
    if (alternative !== undefined) await run(app, alternative, '', 'memory')
  }
})

test('the Redis block of the quick start: redis-cli and the pancake command change what the demo answers', async (t) => {
  await redis.flush()
  const app = await buildDemo({ logger: false, redisUrl: redis.url })
  t.after(() => app.close())
  for (const line of await shellBlockAfter(/With `REDIS_URL` set/)) {
    const { command, comment } = parse(line)
    // The demo's own start line: the app above is that demo.
    if (/npm run demo/.test(command)) continue
    await run(app, command, comment, 'redis')
  }
})
