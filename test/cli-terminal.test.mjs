// What the `pancake` executable shows on a terminal: colours (on a real
// pseudo-terminal too), help at every level, the version, the bin entry.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import style from '../dist/cli/style.js'
import { CLI, FIXTURES, pancake } from './fixtures/cli/run.mjs'
import { cliAgainstRedis } from './helpers/cli.mjs'

const { env, ok } = cliAgainstRedis()

const ESC = '\u001b'
const hasScript = await new Promise((resolve) => { execFile('script', ['--version'], (err) => resolve(err === null)) })

describe('colours', () => {
  const G = (text) => `${ESC}[32m${text}${ESC}[0m`
  const R = (text) => `${ESC}[31m${text}${ESC}[0m`
  const Y = (text) => `${ESC}[33m${text}${ESC}[0m`
  const B = (text) => `${ESC}[34m${text}${ESC}[0m`
  const force = { FORCE_COLOR: '1' }

  test('none when stdout is not a terminal', async () => {
    for (const args of [['flags', 'list'], ['flags', 'list-group', 'user', '1'], ['samples', 'list'], ['flags', 'enable', 'FOO_CAN_DO']]) {
      assert.ok(!(await ok(args)).includes(ESC))
    }
  })

  test('Yes green, No red, N/A and cleared yellow, enabled green, disabled red, numbers blue', async () => {
    assert.equal(await ok(['flags', 'list'], { env: force }), `DO_SOMETHING_ELSE: ${G('Yes')} (default: ${G('Yes')})\nFOO_CAN_DO: ${R('No')} (default: ${R('No')})\n`)
    assert.equal(await ok(['flags', 'list-group', 'user', '1'], { env: force }), `DO_SOMETHING_ELSE: ${Y('N/A')} (default: ${G('Yes')})\nFOO_CAN_DO: ${Y('N/A')} (default: ${R('No')})\n`)
    assert.equal(await ok(['samples', 'list'], { env: force }), `HALF: ${B('50')} (default: ${B('50')})\nMY_ODDS: ${B('42')} (default: ${B('42')})\n`)
    assert.equal(await ok(['samples', 'set', 'MY_ODDS', '13'], { env: force }), `Sample 'MY_ODDS' set to '${B('13')}'.\n`)
    assert.equal(await ok(['flags', 'enable', 'FOO_CAN_DO'], { env: force }), `Flag 'FOO_CAN_DO' ${G('enabled')}.\n`)
    assert.equal(await ok(['switches', 'disable', 'MAINTENANCE'], { env: force }), `Switch 'MAINTENANCE' ${R('disabled')}.\n`)
    assert.equal(await ok(['samples', 'clear', 'MY_ODDS'], { env: force }), `Sample 'MY_ODDS' ${Y('cleared')}.\n`)
    assert.equal(await ok(['flags', 'enable-group', 'FOO_CAN_DO', 'user', '42'], { env: force }), `Object '42' in group 'user' for flag 'FOO_CAN_DO' ${G('enabled')}.\n`)
  })

  test('never with NO_COLOR or --no-color, nor in --json', async () => {
    assert.equal(await ok(['flags', 'list'], { env: { ...force, NO_COLOR: '1' } }), 'DO_SOMETHING_ELSE: Yes (default: Yes)\nFOO_CAN_DO: No (default: No)\n')
    assert.equal(await ok(['flags', 'list', '--no-color'], { env: force }), 'DO_SOMETHING_ELSE: Yes (default: Yes)\nFOO_CAN_DO: No (default: No)\n')
    assert.ok(!(await ok(['--json', 'flags', 'list'], { env: force })).includes(ESC))
    // An empty NO_COLOR does not count, as no-color.org says.
    assert.ok((await ok(['flags', 'list'], { env: { ...force, NO_COLOR: '' } })).includes(G('Yes')))
  })

  // On a real terminal: `script` runs the command on a pseudo-terminal.
  test('on when stdout is a terminal, unless NO_COLOR', { skip: !hasScript && 'script(1) is not available' }, async () => {
    const onTty = (extraEnv) => new Promise((resolve, reject) => {
      const command = `${process.execPath} ${CLI} --app app.mjs switches list`
      const childEnv = { ...process.env, ...env, ...extraEnv }
      delete childEnv.FORCE_COLOR
      if (extraEnv.NO_COLOR === undefined) delete childEnv.NO_COLOR
      execFile('script', ['-qec', command, '/dev/null'], { cwd: FIXTURES, env: childEnv }, (err, stdout) => {
        if (err) reject(err)
        else resolve(stdout.replaceAll('\r\n', '\n'))
      })
    })
    assert.equal(await onTty({}), `MAINTENANCE: ${R('No')} (default: ${R('No')})\nNEW_CHECKOUT: ${G('Yes')} (default: ${G('Yes')})\n`)
    assert.equal(await onTty({ NO_COLOR: '1' }), 'MAINTENANCE: No (default: No)\nNEW_CHECKOUT: Yes (default: Yes)\n')
  })
})

describe('formatting', () => {
  test('colour decision: --no-color, then NO_COLOR, then FORCE_COLOR, then the terminal', () => {
    const { useColor } = style
    assert.equal(useColor({ isTTY: true, env: {}, noColor: false }), true)
    assert.equal(useColor({ isTTY: false, env: {}, noColor: false }), false)
    assert.equal(useColor({ isTTY: true, env: {}, noColor: true }), false)
    assert.equal(useColor({ isTTY: true, env: { NO_COLOR: '1' }, noColor: false }), false)
    assert.equal(useColor({ isTTY: true, env: { NO_COLOR: '' }, noColor: false }), true)
    assert.equal(useColor({ isTTY: false, env: { FORCE_COLOR: '1' }, noColor: false }), true)
    assert.equal(useColor({ isTTY: true, env: { FORCE_COLOR: '0' }, noColor: false }), false)
    assert.equal(useColor({ isTTY: false, env: { FORCE_COLOR: '1', NO_COLOR: 'x' }, noColor: false }), false)
  })

  test('object ids are quoted like Python repr()', () => {
    const { pyRepr } = style
    assert.equal(pyRepr('42'), "'42'")
    assert.equal(pyRepr("it's"), '"it\'s"')
    assert.equal(pyRepr('say "hi"'), "'say \"hi\"'")
    assert.equal(pyRepr('both \' and "'), "'both \\' and \"'")
    assert.equal(pyRepr('a\\b\nc\u0001'), "'a\\\\b\\nc\\x01'")
    assert.equal(pyRepr('café'), "'café'")
  })
})

describe('help and version', () => {
  test('--help at every level, on stdout, exit 0, without loading any app', async () => {
    const top = await pancake(['--help'])
    assert.equal(top.code, 0)
    assert.match(top.stdout, /^Usage: pancake \[OPTIONS\] COMMAND \[ARGS\]\.\.\.\n/)
    for (const group of ['flags', 'samples', 'switches']) assert.match(top.stdout, new RegExp(`\\n  ${group} `))
    for (const option of ['--app PATH', '--extension NAME', '--json', '--no-color', '--timeout MS', '--help']) assert.ok(top.stdout.includes(option), option)

    const flags = await pancake(['flags', '-h'])
    assert.equal(flags.code, 0)
    assert.match(flags.stdout, /^Usage: pancake flags \[OPTIONS\] COMMAND \[ARGS\]\.\.\.\n/)
    for (const command of ['list', 'list-group', 'enable', 'disable', 'clear', 'enable-group', 'disable-group', 'clear-group']) {
      assert.match(flags.stdout, new RegExp(`\\n  ${command} `))
    }
    const usages = {
      'flags list': 'pancake flags list [OPTIONS]',
      'flags list-group': 'pancake flags list-group [OPTIONS] GROUP ID',
      'flags enable-group': 'pancake flags enable-group [OPTIONS] NAME GROUP ID',
      'flags clear-group': 'pancake flags clear-group [OPTIONS] NAME GROUP ID',
      'samples set': 'pancake samples set [OPTIONS] NAME VALUE',
      'samples clear': 'pancake samples clear [OPTIONS] NAME',
      'switches enable': 'pancake switches enable [OPTIONS] NAME'
    }
    for (const [command, usage] of Object.entries(usages)) {
      const help = await pancake([...command.split(' '), '--help', '--app', 'missing.mjs'])
      assert.equal(help.code, 0)
      assert.equal(help.stdout.split('\n')[0], `Usage: ${usage}`)
      assert.match(help.stdout, /\n {2}--app PATH/)
    }
  })

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    assert.deepEqual(await pancake(['--version']), { code: 0, stdout: `${version}\n`, stderr: '' })
  })

  test('the bin entry is a node script', () => {
    const { bin } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    assert.equal(new URL(`../${bin.pancake}`, import.meta.url).pathname, CLI)
    assert.match(readFileSync(CLI, 'utf8'), /^#!\/usr\/bin\/env node\n/)
  })
})
