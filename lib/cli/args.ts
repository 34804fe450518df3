import { parseArgs } from 'node:util'

const OPTIONS = {
  app: { type: 'string' },
  extension: { type: 'string' },
  pancake: { type: 'string' },
  json: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  timeout: { type: 'string' },
  actor: { type: 'string' },
  limit: { type: 'string' },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const

type OptionName = keyof typeof OPTIONS

export interface ParsedArgs {
  positionals: string[]
  app: string | undefined
  /** `--extension` or its alias `--pancake`, whichever came last. */
  extension: string | undefined
  timeout: string | undefined
  /** Who the command's writes are audited as. */
  actor: string | undefined
  /** `history --limit`. */
  limit: string | undefined
  json: boolean
  noColor: boolean
  help: boolean
  version: boolean
  /** The first thing wrong with the options, reported once the command is known. */
  problem: string | undefined
}

// A negative number is an argument (an object id, a sample value to reject
// with the proper message), never a cluster of short options.
const NEGATIVE_NUMBER = /^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

function isOption (name: string): name is OptionName {
  return Object.hasOwn(OPTIONS, name)
}

/**
 * Reads the command line with `node:util` parseArgs. Options may come
 * anywhere, before or after the command; `--` ends them. Nothing throws
 * here: a bad option is kept in `problem`, so the usage text it is reported
 * with can be the one of the command it was given to.
 */
export function readArgs (argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = {
    positionals: [],
    app: undefined,
    extension: undefined,
    timeout: undefined,
    actor: undefined,
    limit: undefined,
    json: false,
    noColor: false,
    help: false,
    version: false,
    problem: undefined
  }
  const { tokens } = parseArgs({ args: [...argv], options: OPTIONS, strict: false, allowPositionals: true, tokens: true })
  const positionals: Array<[number, string]> = []
  const seen = new Set<number>()
  let terminated = false
  const problem = (message: string): void => { parsed.problem ??= message }

  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      terminated = true
      continue
    }
    if (token.kind === 'positional') {
      positionals.push([token.index, token.value])
      continue
    }
    const raw = argv[token.index] as string
    if (!terminated && NEGATIVE_NUMBER.test(raw)) {
      // parseArgs splits "-12" into "-1" and "-2"; keep the argument once.
      if (!seen.has(token.index)) positionals.push([token.index, raw])
      seen.add(token.index)
      continue
    }
    const { name, rawName, value, inlineValue } = token
    if (!isOption(name)) {
      problem(`No such option: ${rawName}`)
      continue
    }
    const option = OPTIONS[name]
    if (option.type === 'string') {
      // As in strict mode: "--app --json" forgot the path, it does not
      // name a module called "--json".
      if (value === undefined || (inlineValue === false && value.startsWith('-'))) {
        problem(`Option '${rawName}' requires an argument.`)
        continue
      }
      if (name === 'app') parsed.app = value
      else if (name === 'timeout') parsed.timeout = value
      else if (name === 'actor') parsed.actor = value
      else if (name === 'limit') parsed.limit = value
      else parsed.extension = value
      continue
    }
    if (inlineValue === true) {
      problem(`Option '${rawName}' does not take a value.`)
      continue
    }
    if (name === 'json') parsed.json = true
    else if (name === 'no-color') parsed.noColor = true
    else if (name === 'help') parsed.help = true
    else parsed.version = true
  }
  parsed.positionals = positionals.sort(([a], [b]) => a - b).map(([, value]) => value)
  return parsed
}
