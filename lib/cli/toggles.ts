import type { Flag, Switch } from '../definitions.js'
import type { Command } from './command.js'
import type { Session } from './session.js'
import { formatNumber, formatState } from './style.js'

// What switches and flags share: a global value that is listed, enabled,
// disabled and cleared the same way.

export type ToggleKind = 'switch' | 'flag'

const PLURAL = { switch: 'switches', flag: 'flags' } as const
const TITLE = { switch: 'Switch', flag: 'Flag' } as const

function lookup (session: Session, kind: ToggleKind, name: string): Switch | Flag {
  return kind === 'switch' ? session.switch(name) : session.flag(name)
}

/** `switches list` / `flags list`: `NAME: Yes (default: No)`, sorted by name. */
export function listCommand (kind: ToggleKind, description: string): Command {
  const plural = PLURAL[kind]
  return {
    name: 'list',
    args: [],
    summary: `Every ${kind} with its ${kind === 'flag' ? 'global ' : ''}value and its default.`,
    description,
    changes: false,
    async run (session) {
      const definitions: Array<Switch | Flag> = session.sorted<Switch | Flag>(kind === 'switch' ? session.instance.switches : session.instance.flags)
      const rows: Array<{ name: string, default: boolean, is_active: boolean, rollouts?: Record<string, number> }> = []
      for (const definition of definitions) {
        const row: typeof rows[number] = { name: definition.name, default: definition.default, is_active: await session.readToggle(definition) }
        if (definition.kind === 'flag') row.rollouts = await session.readRollouts(definition)
        rows.push(row)
      }
      const { style } = session
      // flask-pancake's line; a flag rolled out somewhere gets its rollouts after it.
      const rollouts = (row: typeof rows[number]): string => {
        const entries = Object.entries(row.rollouts ?? {})
        return entries.length === 0 ? '' : `; rollouts: ${entries.map(([group, percentage]) => `${group} ${formatNumber(style, percentage)} %`).join(', ')}`
      }
      return {
        lines: rows.map((row) => `${row.name}: ${formatState(style, row.is_active)} (default: ${formatState(style, row.default)})${rollouts(row)}`),
        json: { ...session.head(), [plural]: rows }
      }
    }
  }
}

export type ToggleAction = 'enable' | 'disable' | 'clear'

export const DONE = { enable: 'enabled', disable: 'disabled', clear: 'cleared' } as const

/** How each outcome is coloured: on green, off red, back to the default yellow. */
export function paintOutcome (session: Session, action: ToggleAction): string {
  const { style } = session
  const word = DONE[action]
  return action === 'enable' ? style.green(word) : action === 'disable' ? style.red(word) : style.yellow(word)
}

/** `switches enable NAME` and friends: `Switch 'NAME' enabled.` */
export function changeCommand (kind: ToggleKind, action: ToggleAction, summary: string, description: string): Command {
  return {
    name: action,
    args: ['NAME'],
    summary,
    description,
    changes: true,
    async run (session, [name]) {
      const definition = lookup(session, kind, name as string)
      await session.bounded(`writing ${definition.key}`, async () => await definition[action]())
      return {
        lines: [`${TITLE[kind]} '${definition.name}' ${paintOutcome(session, action)}.`],
        json: { ...session.head(), kind, name: definition.name, action: DONE[action] }
      }
    }
  }
}
