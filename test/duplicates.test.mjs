// Two definitions of the same kind and name in one instance: the later
// replaces the earlier, as in flask-pancake, and the app warns naming both.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Flag, Sample, Switch, definitions } from '../dist/index.mjs'
import { buildApp, captureLogs } from './helpers/app.mjs'

const here = fileURLToPath(import.meta.url)
/** The line of this file that holds `marker`, 1-based. */
const lineOf = (marker) => readFileSync(here, 'utf8').split('\n').findIndex((line) => line.includes(`// ${marker}`)) + 1

test('the later definition replaces the earlier, and the app warns once naming both places', async (t) => {
  definitions.clear()
  t.after(() => definitions.clear())
  const makeSample = (value) => new Sample('ODDS', value) // sample, both
  const first = new Switch('TWICE', false) // first switch
  const second = new Switch('TWICE', true) // second switch
  makeSample(10)
  const laterSample = makeSample(20)
  // Not the same definition: another kind, another instance.
  const flag = new Flag('TWICE', true)
  const elsewhere = new Switch('TWICE', true, 'other')

  const { lines, logger } = captureLogs()
  const app = await buildApp([{}, { name: 'other' }], () => {}, { logger })
  t.after(() => app.close())
  const pancake = app.pancakes.get()
  assert.equal(pancake.switches.get('TWICE'), second)
  assert.notEqual(pancake.switches.get('TWICE'), first)
  assert.equal(pancake.samples.get('ODDS'), laterSample)
  assert.equal(pancake.flags.get('TWICE'), flag)
  assert.equal(app.pancakes.get('other').switches.get('TWICE'), elsewhere)
  assert.equal(await app.pancakes.run(() => pancake.switches.get('TWICE').isActive()), true)

  const warnings = lines.filter((line) => line.level === 40)
  assert.equal(warnings.length, 2, JSON.stringify(warnings))
  const [switches, samples] = warnings
  assert.equal(switches.kind, 'switch')
  assert.equal(switches.name, 'TWICE')
  assert.equal(switches.pancake, 'pancake')
  assert.match(switches.earlier, new RegExp(`^${here}:${lineOf('first switch')}:\\d+$`))
  assert.match(switches.later, new RegExp(`^${here}:${lineOf('second switch')}:\\d+$`))
  assert.equal(switches.msg, `fastify-pancake: switch 'TWICE' of instance 'pancake' is defined twice, at ${switches.earlier} and at ${switches.later}; the later definition replaces the earlier`)
  // Both made on one line of a helper: that line, twice.
  assert.match(samples.earlier, new RegExp(`^${here}:${lineOf('sample, both')}:\\d+$`))
  assert.equal(samples.later, samples.earlier)
})

test('no warning when every name is defined once', async (t) => {
  definitions.clear()
  t.after(() => definitions.clear())
  const made = [new Switch('ONCE', false), new Flag('ONCE', false), new Sample('ONCE', 5)]
  const { lines, logger } = captureLogs()
  const app = await buildApp([{}], () => {}, { logger })
  t.after(() => app.close())
  assert.equal(made.length, 3)
  assert.deepEqual(lines.filter((line) => line.level >= 40), [])
})
