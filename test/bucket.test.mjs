// Rollout bucketing: identical to Unleash's gradual rollout (its Node SDK,
// as the oracle), and the properties a rollout relies on.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { bucket } from '../dist/index.mjs'
import { murmurHash3 } from '../dist/bucket.js'

const require = createRequire(import.meta.url)
const { normalizedStrategyValue } = require('unleash-client/lib/strategy/util.js')
const FlexibleRolloutStrategy = require('unleash-client/lib/strategy/flexible-rollout-strategy.js').default

// A deterministic generator, so a failure names ids that can be replayed.
function generator (seed) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ALPHABETS = [
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_@.',
  'éèüößçñÅØæœ', // Latin-1 and beyond: one UTF-16 unit, two UTF-8 bytes
  '日本語中文한국어Ωλπ∑€', // one UTF-16 unit, three UTF-8 bytes
  '😀🚀👍🏽𝄞' // surrogate pairs: two UTF-16 units, four UTF-8 bytes
]

function ids (count, seed, alphabets) {
  const random = generator(seed)
  const chars = alphabets.flatMap((alphabet) => [...alphabet])
  return Array.from({ length: count }, (_, n) => {
    let id = ''
    const length = 1 + Math.floor(random() * 24)
    for (let i = 0; i < length; i++) id += chars[Math.floor(random() * chars.length)]
    return n % 10 === 0 ? String(n) : id
  })
}

test('the bucket is what unleash-client computes, for 10,000 ASCII and 10,000 non-ASCII ids', () => {
  const ascii = ids(10_000, 1, ALPHABETS.slice(0, 1))
  const other = ids(10_000, 2, ALPHABETS)
  assert.ok(other.filter((id) => [...id].some((char) => char.charCodeAt(0) > 0x7f)).length > 8000)
  for (const name of ['BETA', 'new-checkout', 'Ünïcode_flag']) {
    for (const id of [...ascii, ...other]) {
      assert.equal(bucket(name, id), normalizedStrategyValue(id, name), `${name}:${id}`)
    }
  }
})

test("a rollout's answer is that of Unleash's flexible rollout with the flag name as group id", () => {
  const strategy = new FlexibleRolloutStrategy()
  for (const percentage of [0, 1, 37, 50, 99.5, 100]) {
    for (const id of ids(1000, 3, ALPHABETS)) {
      const unleash = strategy.isEnabled({ rollout: String(percentage), stickiness: 'userId', groupId: 'BETA' }, { userId: id })
      const ours = percentage > 0 && bucket('BETA', id) <= percentage
      assert.equal(ours, unleash, `${percentage} % ${id}`)
    }
  }
})

test('a hand-checkable example: MurmurHash3 of "BETA:42" is 3,472,399,597, so bucket 98', () => {
  assert.equal(murmurHash3('BETA:42'), 3_472_399_597)
  assert.equal(bucket('BETA', '42'), 98)
  assert.equal(normalizedStrategyValue('42', 'BETA'), 98)
})

test('non-ASCII ids hash the low byte of each UTF-16 code unit, not UTF-8', () => {
  // 'Ā' (U+0100) and '\u0000' share the low byte 0x00; so do 'é' (U+00E9)
  // and 'ǩ' (U+01E9): under UTF-8 they would differ.
  assert.equal(bucket('F', 'Ā'), bucket('F', '\u0000'))
  assert.equal(bucket('F', 'é'), bucket('F', 'ǩ'))
})

const hundredThousand = Array.from({ length: 100_000 }, (_, i) => `user-${i}`)

test('the share of 100,000 ids inside p % is p ± 1', () => {
  for (const p of [1, 5, 20, 33, 50, 75, 99]) {
    const inside = hundredThousand.filter((id) => bucket('SHARE', id) <= p).length
    assert.ok(Math.abs(inside / 1000 - p) <= 1, `${p} %: ${inside / 1000} %`)
  }
  assert.equal(hundredThousand.filter((id) => bucket('SHARE', id) <= 100).length, 100_000)
})

test('widening a rollout never drops an id', () => {
  let previous = new Set()
  for (const p of [0, 1, 10, 20, 20.5, 50, 90, 100]) {
    const inside = new Set(hundredThousand.filter((id) => p > 0 && bucket('WIDEN', id) <= p))
    for (const id of previous) assert.ok(inside.has(id), `${id} dropped at ${p} %`)
    previous = inside
  }
})

test('two flags at 50 % are independent: about 25 % of ids are in both', () => {
  const both = hundredThousand.filter((id) => bucket('FIRST', id) <= 50 && bucket('SECOND', id) <= 50).length
  assert.ok(Math.abs(both / 1000 - 25) <= 1, `${both / 1000} %`)
})

test('the same id gets the same bucket in another process', () => {
  const sample = hundredThousand.slice(0, 2000).concat(ids(500, 4, ALPHABETS))
  const script = `
    import { bucket } from ${JSON.stringify(new URL('../dist/index.mjs', import.meta.url).href)}
    let input = ''
    process.stdin.on('data', (chunk) => { input += chunk })
    process.stdin.on('end', () => { process.stdout.write(JSON.stringify(JSON.parse(input).map((id) => bucket('PROC', id)))) })`
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { input: JSON.stringify(sample) })
  assert.deepEqual(JSON.parse(output.toString()), sample.map((id) => bucket('PROC', id)))
})
