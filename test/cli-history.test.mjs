// The CLI's side of the audit trail: changes recorded with --actor (default:
// the user running the command) and `pancake history`.
import assert from 'node:assert/strict'
import { userInfo } from 'node:os'
import { test } from 'node:test'
import { cliAgainstRedis } from './helpers/cli.mjs'

let client
const { run, ok } = cliAgainstRedis((redis) => { client = redis.client() })

const fields = async () => (await client.xrange('PANCAKE:pancake:audit', '-', '+')).map(([, flat]) => {
  const entry = {}
  for (let i = 0; i < flat.length; i += 2) entry[flat[i]] = flat[i + 1]
  return entry
})

test('changes are recorded as made by --actor from the cli, else by the OS user', async () => {
  await ok(['flags', 'enable', 'FOO_CAN_DO', '--actor', 'deploy-bot'])
  await ok(['flags', 'enable-group', 'FOO_CAN_DO', 'user', '42'])
  assert.deepEqual(await fields(), [
    { actor: 'deploy-bot', source: 'cli', kind: 'flag', name: 'FOO_CAN_DO', target: 'value', before: '0', after: '1' },
    { actor: userInfo().username, source: 'cli', kind: 'flag', name: 'FOO_CAN_DO', target: 'override', group: 'user', objectId: '42', after: '1' }
  ])
})

test('history: newest first, by name, --limit, --json', async () => {
  await ok(['flags', 'enable', 'FOO_CAN_DO', '--actor', 'ann'])
  await ok(['samples', 'set', 'MY_ODDS', '13', '--actor', 'ben'])
  await ok(['flags', 'disable', 'FOO_CAN_DO', '--actor', 'cy'])

  const lines = (await ok(['history'])).trimEnd().split('\n')
  assert.equal(lines.length, 3)
  assert.match(lines[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}cy \(cli\) {2}flag FOO_CAN_DO: 1 → 0$/)
  assert.match(lines[1], /ben \(cli\) {2}sample MY_ODDS: 42 → 13$/)
  assert.match(lines[2], /ann \(cli\) {2}flag FOO_CAN_DO: 0 → 1$/)

  assert.equal((await ok(['history', 'foo_can_do', '--limit', '1'])).trimEnd().split('\n').length, 1)
  const json = JSON.parse(await ok(['history', 'MY_ODDS', '--json']))
  assert.equal(json.instance, 'pancake')
  assert.deepEqual(json.entries.map(({ actor, kind, name, before, after }) => ({ actor, kind, name, before, after })), [
    { actor: 'ben', kind: 'sample', name: 'MY_ODDS', before: '42', after: '13' }
  ])
  assert.equal(await ok(['history', 'NOTHING_HERE']), 'No changes recorded.\n')
})

test('history refuses a bad --limit, an empty --actor, extra arguments (exit 2)', async () => {
  for (const args of [['history', '--limit', '0'], ['history', '--limit', 'x'], ['flags', 'enable', 'FOO_CAN_DO', '--actor', ''], ['history', 'A', 'B']]) {
    const result = await run(['--app', 'app.mjs', ...args])
    assert.equal(result.code, 2, args.join(' '))
    assert.match(result.stderr, /--limit|--actor|unexpected extra argument/)
  }
  const help = await run(['history', '--help'])
  assert.match(help.stdout, /^Usage: pancake history \[OPTIONS\] \[NAME\]/)
})
