import { describeEntry } from '../audit.js'
import type { CommandGroup } from './command.js'

const DEFAULT_LIMIT = 20

const command = {
  name: 'history',
  args: [],
  optional: ['NAME'],
  summary: 'Who changed what, and when: the audit trail.',
  description: `Lists the newest entries of the audit trail, newest first: every change made
through the library (the app, its routes, this command) with who made it,
from where, and the raw value before and after. Changes made outside the
library (flask-pancake, redis-cli) show as from "outside" when a running
server noticed them. NAME keeps the entries of one definition; --limit N
shows N entries (default: ${DEFAULT_LIMIT}).`,
  changes: false,
  async run (session, [name], { limit = DEFAULT_LIMIT }) {
    const entries = await session.history(name === undefined ? { limit } : { limit, name })
    const lines = entries.length === 0
      ? ['No changes recorded.']
      : entries.map((entry) => `${new Date(entry.time).toISOString()}  ${entry.actor} (${entry.source})  ${describeEntry(entry)}`)
    return { lines, json: { ...session.head(), entries } }
  }
} satisfies CommandGroup['command']

export const history: CommandGroup = {
  name: 'history',
  summary: 'Who changed what, and when (the audit trail).',
  description: command.description,
  commands: [],
  command
}
