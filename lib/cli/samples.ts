import type { Command, CommandGroup } from './command.js'
import { formatNumber } from './style.js'
import { DONE, paintOutcome } from './toggles.js'

// What `samples set` accepts, like a decimal literal: "13", "13.5", "1e1".
const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/

/** The percentage in VALUE, or undefined when it is not a number in [0, 100]. */
export function parseSampleValue (raw: string): number | undefined {
  if (!DECIMAL.test(raw)) return undefined
  const value = Number(raw)
  return Number.isFinite(value) && value >= 0 && value <= 100 ? value : undefined
}

const list: Command = {
  name: 'list',
  args: [],
  summary: 'Every sample with its value and its default.',
  description: `Lists every sample of the instance, sorted by name, with its value and its
default, as numbers: \`MY_ODDS: 13 (default: 42)\`. A sample that was never
set gets its default stored, as the app does on the first check.`,
  changes: false,
  async run (session) {
    const rows: Array<{ name: string, default: number, value: number }> = []
    for (const sample of session.sorted(session.instance.samples)) {
      rows.push({ name: sample.name, default: sample.default, value: await session.readSample(sample) })
    }
    const { style } = session
    return {
      lines: rows.map((row) => `${row.name}: ${formatNumber(style, row.value)} (default: ${formatNumber(style, row.default)})`),
      json: { ...session.head(), samples: rows }
    }
  }
}

const set: Command = {
  name: 'set',
  args: ['NAME', 'VALUE'],
  summary: 'Set the percentage of a sample.',
  description: `Sets sample NAME to VALUE, a number from 0 to 100: the share of requests
(and so of browsers, which keep their outcome in a cookie) for which the
sample is active.`,
  changes: true,
  check ([, value]) {
    if (parseSampleValue(value as string) === undefined) {
      return "Invalid value for 'VALUE': Value for sample must be in the range [0, 100]."
    }
    return undefined
  },
  async run (session, [name, raw]) {
    const sample = session.sample(name as string)
    const value = parseSampleValue(raw as string) as number
    await session.bounded(`writing ${sample.key}`, async () => await sample.set(value))
    return {
      lines: [`Sample '${sample.name}' set to '${formatNumber(session.style, value)}'.`],
      json: { ...session.head(), kind: 'sample', name: sample.name, action: 'set', value }
    }
  }
}

const clear: Command = {
  name: 'clear',
  args: ['NAME'],
  summary: 'Remove the stored value; the default applies again.',
  description: `Removes the stored value of sample NAME: the next check stores its default
again.`,
  changes: true,
  async run (session, [name]) {
    const sample = session.sample(name as string)
    await session.bounded(`writing ${sample.key}`, async () => await sample.clear())
    return {
      lines: [`Sample '${sample.name}' ${paintOutcome(session, 'clear')}.`],
      json: { ...session.head(), kind: 'sample', name: sample.name, action: DONE.clear }
    }
  }
}

export const samples: CommandGroup = {
  name: 'samples',
  summary: 'List and change samples (percentages).',
  description: `List and change samples: features active for a percentage of requests,
from 0 to 100.`,
  commands: [
    list,
    set,
    clear
  ]
}
