import type { Session } from './session.js'

/** What a command prints: lines for people, one JSON document for scripts. */
export interface CommandResult {
  lines: string[]
  json: unknown
}

/** Options of the command line a command may use. */
export interface CommandOptions {
  /** `--limit` */
  limit: number | undefined
}

export interface Command {
  name: string
  /** Positional arguments, in order, as the usage line names them. */
  args: readonly string[]
  /** Optional arguments after those, in order. */
  optional?: readonly string[]
  /** One line for the command list of `--help`. */
  summary: string
  /** The body of the command's own `--help`. */
  description: string
  /** Whether it writes to the store: refused on the memory store. */
  changes: boolean
  /** Checks the arguments before the app is loaded: what is wrong, if anything. */
  check?: (args: readonly string[]) => string | undefined
  run: (session: Session, args: readonly string[], options: CommandOptions) => Promise<CommandResult>
}

export interface CommandGroup {
  name: string
  summary: string
  description: string
  commands: readonly Command[]
  /** A group that is itself the command (`pancake history NAME`): its arguments follow the group's name. */
  command?: Command
}
