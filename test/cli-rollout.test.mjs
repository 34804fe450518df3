// `pancake flags rollout` and `clear-rollout`, against a real Redis.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cliAgainstRedis } from './helpers/cli.mjs'

let client
const { run, ok } = cliAgainstRedis((redis) => { client = redis.client() })

test('rollout and clear-rollout write FLAG:EXT:r:GROUP:NAME', async () => {
  assert.equal(await ok(['flags', 'rollout', 'FOO_CAN_DO', 'user', '20']), "Flag 'FOO_CAN_DO' rolled out to 20 % of group 'user'.\n")
  assert.equal(await client.get('FLAG:pancake:r:user:FOO_CAN_DO'), '20')
  assert.equal(await ok(['flags', 'clear-rollout', 'FOO_CAN_DO', 'user']), "Rollout of flag 'FOO_CAN_DO' in group 'user' cleared.\n")
  assert.equal(await client.get('FLAG:pancake:r:user:FOO_CAN_DO'), null)
})

test('a bad percentage exits 2 with the range message; nothing is written', async () => {
  for (const bad of ['101', '-1', 'NaN', 'abc']) {
    const result = await run(['flags', 'rollout', 'FOO_CAN_DO', 'user', bad])
    assert.equal(result.code, 2, bad)
    assert.match(result.stderr, /Value for rollout must be in the range \[0, 100\]\./)
  }
  assert.equal(await client.exists('FLAG:pancake:r:user:FOO_CAN_DO'), 0)
})
