import type { Command, CommandGroup } from './command.js'
import { parseSampleValue } from './samples.js'
import { formatNumber, pyRepr, formatState } from './style.js'
import { changeCommand, DONE, listCommand, paintOutcome, type ToggleAction } from './toggles.js'

// '' is no object's id: the library refuses it as one.
function checkObjectId (objectId: string | undefined): string | undefined {
  return objectId === '' ? "Invalid value for 'ID': an object id cannot be empty." : undefined
}

const listGroup: Command = {
  name: 'list-group',
  args: ['GROUP', 'ID'],
  summary: "Every flag's override for one object of a group.",
  description: `Lists every flag, sorted by name, with its override for object ID of
group GROUP: Yes or No, or N/A when the object has none (the flag's global
value and earlier groups decide), and the flag's default, e.g.
\`FOO_CAN_DO: N/A (default: No)\`.`,
  changes: false,
  check: ([, objectId]) => checkObjectId(objectId),
  async run (session, [group, objectId]) {
    session.group(group as string)
    const rows: Array<{ name: string, default: boolean, is_active: boolean | null }> = []
    for (const flag of session.sorted(session.instance.flags)) {
      rows.push({ name: flag.name, default: flag.default, is_active: await session.readOverride(flag, group as string, objectId as string) })
    }
    const { style } = session
    return {
      lines: rows.map((row) => `${row.name}: ${formatState(style, row.is_active)} (default: ${formatState(style, row.default)})`),
      json: { ...session.head(), group, object_id: objectId, flags: rows }
    }
  }
}

const GROUP_METHOD = { enable: 'enableGroup', disable: 'disableGroup', clear: 'clearGroup' } as const

function changeGroup (action: ToggleAction, summary: string, description: string): Command {
  return {
    name: `${action}-group`,
    args: ['NAME', 'GROUP', 'ID'],
    summary,
    description,
    changes: true,
    check: ([, , objectId]) => checkObjectId(objectId),
    async run (session, [name, group, objectId]) {
      const flag = session.flag(name as string)
      session.group(group as string)
      await session.bounded(`writing the override of ${flag.key} for ${group as string} ${objectId as string}`,
        async () => await flag[GROUP_METHOD[action]](group as string, objectId as string))
      return {
        lines: [`Object ${pyRepr(objectId as string)} in group '${group as string}' for flag '${flag.name}' ${paintOutcome(session, action)}.`],
        json: { ...session.head(), kind: 'flag', name: flag.name, group, object_id: objectId, action: DONE[action] }
      }
    }
  }
}

const rollout: Command = {
  name: 'rollout',
  args: ['NAME', 'GROUP', 'PERCENT'],
  summary: 'Roll a flag out to a percentage of the objects of a group.',
  description: `Rolls flag NAME out to PERCENT % (0 to 100) of the objects of group GROUP:
those whose bucket, from the flag's name and the object id, is at most
PERCENT, the same ones every time. Overrides still win over it; widening it
keeps everyone it covered.`,
  changes: true,
  check ([, , percent]) {
    if (parseSampleValue(percent as string) === undefined) {
      return "Invalid value for 'PERCENT': Value for rollout must be in the range [0, 100]."
    }
    return undefined
  },
  async run (session, [name, group, raw]) {
    const flag = session.flag(name as string)
    session.group(group as string)
    const percentage = parseSampleValue(raw as string) as number
    await session.bounded(`writing ${flag.rolloutKey(group as string)}`, async () => await flag.setRollout(group as string, percentage))
    return {
      lines: [`Flag '${flag.name}' rolled out to ${formatNumber(session.style, percentage)} % of group '${group as string}'.`],
      json: { ...session.head(), kind: 'flag', name: flag.name, group, action: 'rollout', percentage }
    }
  }
}

const clearRollout: Command = {
  name: 'clear-rollout',
  args: ['NAME', 'GROUP'],
  summary: "Remove a flag's rollout in a group.",
  description: `Removes the rollout of flag NAME in group GROUP: its objects get the global
value again, unless overridden or covered by a later group's rollout.`,
  changes: true,
  async run (session, [name, group]) {
    const flag = session.flag(name as string)
    session.group(group as string)
    await session.bounded(`writing ${flag.rolloutKey(group as string)}`, async () => await flag.clearRollout(group as string))
    return {
      lines: [`Rollout of flag '${flag.name}' in group '${group as string}' cleared.`],
      json: { ...session.head(), kind: 'flag', name: flag.name, group, action: 'clear-rollout' }
    }
  }
}

export const flags: CommandGroup = {
  name: 'flags',
  summary: 'List and change flags, globally or for one object of a group.',
  description: `List and change flags: features that are on or off globally, and can be
overridden for single objects of a group (a user, a company). A check walks
the groups in order; the first object with an override decides, else the
global value.`,
  commands: [
    listCommand('flag', `Lists every flag of the instance, sorted by name, with its global value
(overrides aside) and its default, e.g. \`DO_SOMETHING_ELSE: Yes (default: Yes)\`.
A flag that was never set gets its default stored, as the app does on the
first check.`),
    listGroup,
    changeCommand('flag', 'enable', 'Turn a flag on globally.', 'Turns flag NAME on globally. Objects with an override keep it.'),
    changeCommand('flag', 'disable', 'Turn a flag off globally.', 'Turns flag NAME off globally. Objects with an override keep it.'),
    changeCommand('flag', 'clear', 'Remove the global value; the default applies again.', `Removes the global value of flag NAME: the next check stores its default
again. Overrides are kept.`),
    changeGroup('enable', 'Turn a flag on for one object of a group.', 'Turns flag NAME on for object ID of group GROUP, whatever the global value.'),
    changeGroup('disable', 'Turn a flag off for one object of a group.', 'Turns flag NAME off for object ID of group GROUP, whatever the global value.'),
    changeGroup('clear', "Remove a flag's override for one object of a group.", `Removes the override of flag NAME for object ID of group GROUP: later
groups, then the global value, decide for it again.`),
    rollout,
    clearRollout
  ]
}
