import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { PancakeCliAppError, PancakeCliMemoryStoreError, PancakeCliUsageError } from '../errors.js'
import type { Pancakes } from '../pancakes.js'
import { readArgs, type ParsedArgs } from './args.js'
import type { Command, CommandGroup } from './command.js'
import { userInfo } from 'node:os'
import { flags } from './flags.js'
import { history } from './history.js'
import { helpInvocation, helpText, usageLine, type Level } from './help.js'
import { loadApp } from './loadApp.js'
import { samples } from './samples.js'
import { within } from '../within.js'
import { isRedisConnection, quietClients, reachableHint, releaseClients, Session } from './session.js'
import { createStyle, useColor } from './style.js'
import { switches } from './switches.js'

export const GROUPS: readonly CommandGroup[] = [flags, history, samples, switches]

export const DEFAULT_TIMEOUT = 5000
// Closing waits for the app's clients to say goodbye; one that is stuck
// reconnecting to a dead server must not hold the terminal. After a
// failure, a stuck close is expected and is waited for less.
const CLOSE_TIMEOUT = 2000
const CLOSE_TIMEOUT_AFTER_FAILURE = 500

/** Exit statuses: success, a failure, a command line that makes no sense. */
export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export interface Io {
  stdout: { write: (text: string) => unknown, isTTY?: boolean }
  stderr: { write: (text: string) => unknown }
  env: Readonly<Record<string, string | undefined>>
  cwd: string
  /** Called once the command has written its answer, before the app closes. */
  answered?: () => void
}

interface Run {
  kind: 'run'
  group: CommandGroup
  command: Command
  args: string[]
  app: string
  extension: string
  timeout: number
  json: boolean
  noColor: boolean
  actor: string
  limit: number | undefined
}

type Plan = { kind: 'print', text: string } | Run

// Where a usage error was made, for the usage text printed with it.
const usageOf = new WeakMap<Error, { level: Level, full: boolean }>()

function usageError (level: Level, message: string, full = false): Error {
  const err = new PancakeCliUsageError(message)
  usageOf.set(err, { level, full })
  return err
}

/**
 * Runs one command line and resolves to the exit status. Never throws:
 * every failure is reported on `io.stderr`.
 */
export async function main (argv: readonly string[], io: Io): Promise<number> {
  const parsed = readArgs(argv)
  let plan: Plan
  try {
    plan = planRun(parsed, io.env)
  } catch (err) {
    return report(err, io, parsed.json)
  }
  if (plan.kind === 'print') {
    io.stdout.write(plan.text)
    return EXIT_OK
  }
  return await execute(plan, io)
}

function planRun (parsed: ParsedArgs, env: Io['env']): Plan {
  if (parsed.version && !parsed.help) return { kind: 'print', text: `${version()}\n` }
  const [groupName, ...rest] = parsed.positionals
  let [commandName, ...args] = rest
  let level: Level = { kind: 'top' }
  if (groupName !== undefined) {
    const group = GROUPS.find((candidate) => candidate.name === groupName)
    if (group === undefined) throw usageError(level, `No such command '${groupName}'.`)
    level = { kind: 'group', group }
    if (group.command !== undefined) {
      level = { kind: 'command', group, command: group.command }
      commandName = undefined
      args = rest
    } else if (commandName !== undefined) {
      const command = group.commands.find((candidate) => candidate.name === commandName)
      if (command === undefined) throw usageError(level, `No such command '${commandName}'.`)
      level = { kind: 'command', group, command }
    }
  }
  if (parsed.help) return { kind: 'print', text: helpText(level, GROUPS) }
  if (parsed.problem !== undefined) throw usageError(level, parsed.problem)
  if (level.kind !== 'command') throw usageError(level, 'Missing command.', true)

  const { group, command } = level
  if (args.length < command.args.length) throw usageError(level, `Missing argument '${command.args[args.length] as string}'.`)
  const most = command.args.length + (command.optional?.length ?? 0)
  if (args.length > most) {
    const extra = args.slice(most)
    throw usageError(level, `Got unexpected extra argument${extra.length > 1 ? 's' : ''} (${extra.join(' ')})`)
  }
  const problem = command.check?.(args)
  if (problem !== undefined) throw usageError(level, problem)

  let timeout = DEFAULT_TIMEOUT
  if (parsed.timeout !== undefined) {
    timeout = Number(parsed.timeout)
    if (!/^\d+$/.test(parsed.timeout.trim()) || !Number.isSafeInteger(timeout) || timeout <= 0) {
      throw usageError(level, `Invalid value for '--timeout': '${parsed.timeout}' is not a positive whole number of milliseconds.`)
    }
  }
  let limit: number | undefined
  if (parsed.limit !== undefined) {
    limit = Number(parsed.limit)
    if (!/^\d+$/.test(parsed.limit.trim()) || !Number.isSafeInteger(limit) || limit <= 0) {
      throw usageError(level, `Invalid value for '--limit': '${parsed.limit}' is not a positive whole number.`)
    }
  }
  if (parsed.actor !== undefined && parsed.actor.trim() === '') throw usageError(level, "Invalid value for '--actor': the name cannot be empty.")
  if (parsed.extension === '') throw usageError(level, "Invalid value for '--extension': the instance name cannot be empty.")
  const app = parsed.app ?? (env.PANCAKE_APP === '' ? undefined : env.PANCAKE_APP)
  if (app === undefined || app === '') {
    throw usageError(level, "Missing option '--app'. Name the module that exports your Fastify app with --app PATH or the PANCAKE_APP environment variable.")
  }
  return {
    kind: 'run',
    group,
    command,
    args,
    app,
    extension: parsed.extension ?? 'pancake',
    timeout,
    json: parsed.json,
    noColor: parsed.noColor,
    actor: parsed.actor ?? osUser(env),
    limit
  }
}

async function execute (run: Run, io: Io): Promise<number> {
  const style = createStyle(useColor({ isTTY: io.stdout.isTTY === true, env: io.env, noColor: run.noColor }))
  let app: FastifyInstance
  let file: string
  try {
    ({ app, file } = await loadApp(run.app, io.cwd))
  } catch (err) {
    return report(err, io, run.json)
  }
  quietLogs(app, run.json ? 'error' : 'warn')

  // The store's connection is checked as soon as the plugins are loaded,
  // before their own onReady work: with Redis down, the command fails at
  // the first connection error instead of after every wait the app makes.
  let session: Session | undefined
  const pancakesOf = (): Pancakes | undefined => {
    const pancakes = (app as { pancakes?: Partial<Pancakes> }).pancakes
    const usable = pancakes !== undefined && ['get', 'has', 'names', 'run'].every((method) => typeof pancakes[method as keyof Pancakes] === 'function')
    return usable ? pancakes as Pancakes : undefined
  }
  const connect = async (): Promise<void> => {
    const pancakes = pancakesOf()
    if (pancakes === undefined || !pancakes.has(run.extension)) return // reported after ready()
    quietClients(pancakes)
    session ??= new Session({ instance: pancakes.get(run.extension), style, timeout: run.timeout })
    await session.connect()
  }
  // Plugins already loaded (the module awaited them, or built the app in
  // an async function) are checked at once; else at the start of ready().
  const loaded = pancakesOf() !== undefined
  if (!loaded) {
    try {
      app.addHook('onReady', connect)
    } catch {
      // Ready already, without fastify-pancake: reported after ready().
    }
  }

  let status: number = EXIT_OK
  try {
    if (loaded) await connect()
    await within(app.ready(), run.timeout, () => notReady(app, run.timeout, session))
    const pancakes = pancakesOf()
    if (pancakes === undefined) {
      throw new PancakeCliAppError(`The app from ${file} does not register fastify-pancake: app.pancakes is missing.`)
    }
    const instance = named(pancakes, run.extension)
    if (run.command.changes && instance.store.kind === 'memory') throw new PancakeCliMemoryStoreError(instance.name)
    await connect()
    const ready = session as Session
    const result = await pancakes.runAs({ actor: run.actor, source: 'cli' }, async () => await run.command.run(ready, run.args, { limit: run.limit }))
    if (ready.isMemory) {
      io.stderr.write(`Note: pancake instance '${instance.name}' uses the in-memory store: these are the values of a fresh process (the defaults), not those of a running server.\n`)
    }
    io.stdout.write(run.json ? `${JSON.stringify(result.json)}\n` : result.lines.map((line) => `${line}\n`).join(''))
  } catch (err) {
    status = report(err, io, run.json)
  } finally {
    io.answered?.()
    const pancakes = pancakesOf()
    if (pancakes !== undefined) releaseClients(pancakes)
    try {
      const limit = status === EXIT_OK ? CLOSE_TIMEOUT : CLOSE_TIMEOUT_AFTER_FAILURE
      await within(app.close(), limit, () => new Error(`the app did not close within ${limit} ms`))
    } catch (err) {
      // After a failure, that closing failed too says nothing new.
      if (status === EXIT_OK) io.stderr.write(`Warning: closing the app failed: ${(err as Error).message}; exiting anyway.\n`)
    }
  }
  return status
}

/** The user running the command, for the audit trail. */
function osUser (env: Io['env']): string {
  try {
    return userInfo().username
  } catch {
    return env.USER ?? env.USERNAME ?? 'unknown'
  }
}

function notReady (app: FastifyInstance, timeout: number, session: Session | undefined): Error {
  const waiting = `The app did not become ready within ${timeout} ms`
  const longer = 'or allow longer with --timeout.'
  // @fastify/redis holds the app's loading until its client connects.
  const redis = (app as { redis?: unknown }).redis
  if (isRedisConnection(redis) && redis.status !== 'ready') {
    // Ending the client ends that wait, so the app can close.
    redis.disconnect()
    return new PancakeCliAppError(`${waiting}: app.redis (@fastify/redis) is not connected. ${reachableHint(redis)} Check it, ${longer}`)
  }
  const connecting = session?.stillConnecting()
  if (connecting !== undefined) return connecting
  return new PancakeCliAppError(`${waiting}. A plugin may be waiting for a server (Redis, a database): check that it is reachable, ${longer}`)
}

function named (pancakes: Pancakes, name: string): ReturnType<Pancakes['get']> {
  try {
    return pancakes.get(name)
  } catch (err) {
    throw Object.assign(err as Error, { known: pancakes.names() })
  }
}

// Info logs of the app (a plugin announcing its store) would land between
// the lines of the output when the logger writes to stdout; warnings and
// errors still show, but for --json, whose output a program parses.
function quietLogs (app: FastifyInstance, level: 'warn' | 'error'): void {
  const log = app.log as unknown as { levelVal?: unknown, levels?: { values?: Record<string, number> }, level?: string }
  const least = log.levels?.values?.[level]
  if (typeof log.levelVal === 'number' && typeof least === 'number' && log.levelVal < least) log.level = level
}

function report (err: unknown, io: Io, json: boolean): number {
  const error = err instanceof Error ? err : new Error(String(err))
  const code = (error as { code?: unknown }).code
  const status = code === 'FST_PANCAKE_CLI_USAGE' ? EXIT_USAGE : EXIT_FAILURE
  const known = (error as { known?: unknown }).known
  if (json) {
    const body: Record<string, unknown> = { message: error.message }
    if (typeof code === 'string') body.code = code
    if (Array.isArray(known)) body.known = known
    io.stderr.write(`${JSON.stringify({ error: body })}\n`)
    return status
  }
  const usage = usageOf.get(error)
  if (usage !== undefined) {
    io.stderr.write(usage.full
      ? `${helpText(usage.level, GROUPS)}\n`
      : `${usageLine(usage.level)}\nTry '${helpInvocation(usage.level)}' for help.\n\n`)
  }
  io.stderr.write(`Error: ${error.message}\n`)
  return status
}

function version (): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown }
    return typeof pkg.version === 'string' ? pkg.version : 'unknown'
  } catch {
    return 'unknown'
  }
}
