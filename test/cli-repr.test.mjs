// Object ids as the `pancake` command prints them: Python's repr(), which
// flask-pancake uses, checked character by character against python3 itself.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { test } from 'node:test'
import style from '../dist/cli/style.js'
import { cliAgainstRedis } from './helpers/cli.mjs'

const { pyRepr } = style
const { ok } = cliAgainstRedis()

test('characters Python does not print are escaped: controls, format, separators, private use, surrogates, unassigned', () => {
  const cases = [
    ['a\u00a0b', "'a\\xa0b'"], // NO-BREAK SPACE (Zs)
    ['a\u00adb', "'a\\xadb'"], // SOFT HYPHEN (Cf)
    ['a\u2028b\u2029', "'a\\u2028b\\u2029'"], // LINE and PARAGRAPH SEPARATOR (Zl, Zp)
    ['\u200b\u200d\ufeff', "'\\u200b\\u200d\\ufeff'"], // zero width space, joiner, BOM (Cf)
    ['\u3000', "'\\u3000'"], // IDEOGRAPHIC SPACE (Zs)
    ['\ue000\u{f0000}', "'\\ue000\\U000f0000'"], // private use (Co)
    ['\ud800x\udfff', "'\\ud800x\\udfff'"], // lone surrogates (Cs)
    ['\u0378\u{e0001}\u{10ffff}', "'\\u0378\\U000e0001\\U0010ffff'"], // unassigned, a tag (Cf), a noncharacter
    ['\u007f\u0085\u009f', "'\\x7f\\x85\\x9f'"],
    ['a b', "'a b'"], // ASCII space is printable
    ['é中😀\u{1d400}', "'é中😀\u{1d400}'"] // printable non-ASCII stays as is
  ]
  for (const [id, expected] of cases) assert.equal(pyRepr(id), expected, JSON.stringify(id))
})

test('agrees with python3 repr() on thousands of code points', () => {
  // Python's unicodedata and Node's ICU follow their own Unicode versions:
  // a character assigned in one version and not in the other is left out.
  const points = []
  for (let code = 0; code < 0x3100; code++) points.push(code)
  for (let code = 0x3100; code <= 0x10ffff; code += 241) points.push(code)
  points.push(0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xf8ff, 0xfeff, 0xfff9, 0xfffc, 0xfffd, 0xfffe, 0xffff, 0x1f600, 0xe0001, 0xe007f, 0x10ffff)
  const python = `
import json, sys, unicodedata
points = json.load(sys.stdin)
out = []
for code in points:
    char = chr(code)
    out.append([unicodedata.category(char) == 'Cn', repr('x' + char + "'")])
json.dump(out, sys.stdout)
`
  const answers = JSON.parse(execFileSync('python3', ['-c', python], { input: JSON.stringify(points), encoding: 'utf8' }))
  const unassignedHere = /^\p{Cn}$/u
  let compared = 0
  points.forEach((code, i) => {
    const [unassignedThere, expected] = answers[i]
    const char = String.fromCodePoint(code)
    if (unassignedThere !== unassignedHere.test(char)) return
    compared++
    assert.equal(pyRepr(`x${char}'`), expected, `U+${code.toString(16).toUpperCase().padStart(4, '0')}`)
  })
  assert.ok(compared > points.length * 0.95, `compared ${compared} of ${points.length}`)
})

test('the command prints such ids escaped', async () => {
  assert.equal(await ok(['flags', 'enable-group', 'FOO_CAN_DO', 'user', 'a\u00a0b\u2028']),
    "Object 'a\\xa0b\\u2028' in group 'user' for flag 'FOO_CAN_DO' enabled.\n")
})
