import type { Command, CommandGroup } from './command.js'

export const PROGRAM = 'pancake'

// The options every level accepts, wherever they appear on the line.
const OPTIONS_HELP = `Options:
  --app PATH        The module that exports the app (default: $PANCAKE_APP).
  --extension NAME  The pancake instance to manage (default: pancake).
                    Alias: --pancake.
  --json            Print one JSON document instead of text.
  --no-color        Never colour the output (also: NO_COLOR=1).
  --timeout MS      How long to wait for the app to be ready and for each
                    store operation (default: 5000).
  --actor NAME      Who changes are recorded as in the audit trail
                    (default: the user running the command).
  --version         Print the version and exit.
  -h, --help        Show this message and exit.`

const DESCRIPTION = `  List and change the switches, flags and samples of a Fastify app that uses
  fastify-pancake.

  The app comes from --app or PANCAKE_APP: a module whose default export, or
  export named \`app\`, is a Fastify instance or a function (sync or async)
  that returns one. The command waits for the app to be ready, acts, and
  closes the app.

  Examples:
    pancake --app ./app.js flags list
    PANCAKE_APP=./app.js pancake flags enable-group BETA user 42
    pancake --app ./app.js samples set ODDS 13 --json`

/** Where on the command tree a help or usage text is about. */
export type Level =
  | { kind: 'top' }
  | { kind: 'group', group: CommandGroup }
  | { kind: 'command', group: CommandGroup, command: Command }

export function usageLine (level: Level): string {
  switch (level.kind) {
    case 'top': return `Usage: ${PROGRAM} [OPTIONS] COMMAND [ARGS]...`
    case 'group': return `Usage: ${PROGRAM} ${level.group.name} [OPTIONS] COMMAND [ARGS]...`
    case 'command': return `Usage: ${PROGRAM} ${commandPath(level)} [OPTIONS]${level.command.args.map((arg) => ` ${arg}`).join('')}${(level.command.optional ?? []).map((arg) => ` [${arg}]`).join('')}`
  }
}

/** The invocation that shows a level's help. */
export function helpInvocation (level: Level): string {
  switch (level.kind) {
    case 'top': return `${PROGRAM} --help`
    case 'group': return `${PROGRAM} ${level.group.name} --help`
    case 'command': return `${PROGRAM} ${commandPath(level)} --help`
  }
}

function commandPath (level: { group: CommandGroup, command: Command }): string {
  return level.group.command === level.command ? level.group.name : `${level.group.name} ${level.command.name}`
}

function table (rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...rows.map(([name]) => name.length))
  return rows.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`).join('\n')
}

export function helpText (level: Level, groups: readonly CommandGroup[]): string {
  const parts = [usageLine(level)]
  switch (level.kind) {
    case 'top':
      parts.push(DESCRIPTION, OPTIONS_HELP, `Commands:\n${table(groups.map((group) => [group.name, group.summary]))}`)
      break
    case 'group': {
      const commands = [...level.group.commands].sort((a, b) => (a.name < b.name ? -1 : 1))
      parts.push(indent(level.group.description), OPTIONS_HELP, `Commands:\n${table(commands.map((command) => [command.name, command.summary]))}`)
      break
    }
    case 'command':
      parts.push(indent(level.command.description), OPTIONS_HELP)
      break
  }
  return `${parts.join('\n\n')}\n`
}

function indent (text: string): string {
  return text.split('\n').map((line) => (line === '' ? '' : `  ${line}`)).join('\n')
}
