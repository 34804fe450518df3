import type { CommandGroup } from './command.js'
import { changeCommand, listCommand } from './toggles.js'

export const switches: CommandGroup = {
  name: 'switches',
  summary: 'List and change switches.',
  description: 'List and change switches: features that are on or off for everyone.',
  commands: [
    listCommand('switch', `Lists every switch of the instance, sorted by name, with its value and
its default, e.g. \`NEW_CHECKOUT: Yes (default: No)\`. A switch that was
never set gets its default stored, as the app does on the first check.`),
    changeCommand('switch', 'enable', 'Turn a switch on.', 'Turns switch NAME on.'),
    changeCommand('switch', 'disable', 'Turn a switch off.', 'Turns switch NAME off.'),
    changeCommand('switch', 'clear', 'Remove the stored value; the default applies again.', `Removes the stored value of switch NAME: the next check stores its default
again.`)
  ]
}
