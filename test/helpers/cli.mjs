// The `pancake` executable against a Redis of the test file's own, emptied
// before each test so that no test sees what another one wrote.
import assert from 'node:assert/strict'
import { beforeEach } from 'node:test'
import { pancake } from '../fixtures/cli/run.mjs'
import { redisForThisFile } from './redis.mjs'

/** @param {(redis: import('./redis.mjs').RedisServer) => unknown} [started] as for redisForThisFile */
export function cliAgainstRedis (started = () => {}) {
  // What points the fixture apps at that Redis; filled in once it starts.
  const env = {}
  const redis = redisForThisFile(async (redis) => {
    env.PANCAKE_TEST_REDIS = redis.url
    await started(redis)
  })
  beforeEach(async () => { await redis.flush() })

  /** `pancake ...args`, with `options.env` over the environment above. */
  const run = async (args, options = {}) => await pancake(args, { ...options, env: { ...env, ...options.env } })

  /**
   * Runs `pancake --app app.mjs ...args`, expects success with nothing on
   * stderr but Node's own warnings (Node 24 warns when NO_COLOR and
   * FORCE_COLOR are both set), and resolves to its stdout.
   */
  async function ok (args, options = {}) {
    const result = await run(['--app', 'app.mjs', ...args], options)
    assert.equal(withoutNodeWarnings(result.stderr), '', `stderr of pancake ${args.join(' ')}`)
    assert.equal(result.code, 0)
    return result.stdout
  }

  return { redis, env, run, ok }
}

/** `stderr` without the lines of Node's own process warnings. */
export function withoutNodeWarnings (stderr) {
  return stderr.split('\n').filter((line) => !/^\(node:\d+\) |^\(Use `node --trace-warnings/.test(line)).join('\n')
}
