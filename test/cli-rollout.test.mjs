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

test('flags list keeps flask-pancake\'s line without rollouts and appends them otherwise; --json carries them', async () => {
  assert.equal(await ok(['flags', 'rollout', 'FOO_CAN_DO', 'user', '12.5']), "Flag 'FOO_CAN_DO' rolled out to 12.5 % of group 'user'.\n")
  assert.equal(await ok(['flags', 'list']), 'DO_SOMETHING_ELSE: Yes (default: Yes)\nFOO_CAN_DO: No (default: No); rollouts: user 12.5 %\n')
  const listed = JSON.parse(await ok(['--json', 'flags', 'list']))
  assert.deepEqual(listed.flags.map(({ name, rollouts }) => [name, rollouts]), [['DO_SOMETHING_ELSE', {}], ['FOO_CAN_DO', { user: 12.5 }]])
  await ok(['flags', 'clear-rollout', 'FOO_CAN_DO', 'user'])
  assert.equal(await ok(['flags', 'list']), 'DO_SOMETHING_ELSE: Yes (default: Yes)\nFOO_CAN_DO: No (default: No)\n')
})

test('an unknown group exits non-zero, naming the known groups', async () => {
  for (const args of [['flags', 'rollout', 'FOO_CAN_DO', 'usr', '20'], ['flags', 'clear-rollout', 'FOO_CAN_DO', 'usr']]) {
    assert.deepEqual(await run(['--app', 'app.mjs', ...args]), {
      code: 1,
      stdout: '',
      stderr: "Error: Invalid group identifier 'usr'. This group is not registered in the pancake instance 'pancake'. Known groups: user, company.\n"
    })
  }
})

test('a bad percentage exits 2 with the range message; nothing is written', async () => {
  for (const bad of ['101', '-1', 'NaN', 'abc']) {
    const result = await run(['flags', 'rollout', 'FOO_CAN_DO', 'user', bad])
    assert.equal(result.code, 2, bad)
    assert.match(result.stderr, /Value for rollout must be in the range \[0, 100\]\./)
  }
  assert.equal(await client.exists('FLAG:pancake:r:user:FOO_CAN_DO'), 0)
})
