import { statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { extname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { PancakeCliAppError } from '../errors.js'

const EXPECTED = 'a Fastify instance, or a function (sync or async) that returns one, as its default export or as the export named `app`'

export interface LoadedApp {
  app: FastifyInstance
  /** The absolute path of the module it came from. */
  file: string
}

/**
 * Imports the module at `path` (relative to `cwd`) and returns the Fastify
 * app it exports. ES modules and CommonJS both load through `import()`;
 * TypeScript sources load when Node runs with a TypeScript loader.
 *
 * A Fastify instance is a thenable, and awaiting it loads its plugins; the
 * app is therefore always handed over wrapped, never awaited here, so that
 * the caller can hook into the app before its plugins load.
 */
export async function loadApp (path: string, cwd: string): Promise<LoadedApp> {
  const file = locate(path, cwd)
  let module: Record<string, unknown>
  try {
    module = await import(pathToFileURL(file).href) as Record<string, unknown>
  } catch (err) {
    throw new PancakeCliAppError(`Cannot load the app from ${file}: ${(err as Error)?.message ?? String(err)}${loaderHint(file, err)}`)
  }

  for (const [what, candidate] of candidates(module)) {
    if (isFastify(candidate)) return { app: candidate, file }
    if (typeof candidate === 'function') return { app: (await callFactory(file, what, candidate as (...args: unknown[]) => unknown)).app, file }
    if (isThenable(candidate)) return { app: (await settle(file, what, candidate)).app, file }
  }
  const exported = Object.keys(module).filter((key) => module[key] !== undefined)
  throw new PancakeCliAppError(`The module ${file} does not export an app. Expected ${EXPECTED}; it exports ${exported.length === 0 ? 'nothing' : exported.map((key) => `\`${key}\``).join(', ')}.`)
}

function locate (path: string, cwd: string): string {
  const file = resolve(cwd, path)
  if (statSync(file, { throwIfNoEntry: false })?.isFile() === true) return file
  try {
    // A directory (its package.json "main" or index.js) or a path without
    // its extension, as `node ./app` would find it.
    return createRequire(join(cwd, 'noop.js')).resolve(file)
  } catch {
    throw new PancakeCliAppError(`Cannot load the app: there is no module at ${file}. Pass the file that exports your Fastify app with --app PATH or PANCAKE_APP.`)
  }
}

// A CommonJS module's exports are `default` of its namespace, and a compiled
// TypeScript module keeps its own `default` inside them.
function candidates (module: Record<string, unknown>): Array<[string, unknown]> {
  const found: Array<[string, unknown]> = [['default export', module.default], ['export `app`', module.app]]
  const exports = module.default
  if (exports !== null && typeof exports === 'object' && !isFastify(exports)) {
    const inner = exports as Record<string, unknown>
    found.push(['default export', inner.default], ['export `app`', inner.app])
  }
  return found.filter(([, value]) => value !== undefined && value !== null)
}

function isFastify (value: unknown): value is FastifyInstance {
  if (value === null || typeof value !== 'object') return false
  const app = value as Record<string, unknown>
  return ['ready', 'close', 'register', 'inject'].every((method) => typeof app[method] === 'function')
}

function isThenable (value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function'
}

async function callFactory (file: string, what: string, factory: (...args: unknown[]) => unknown): Promise<{ app: FastifyInstance }> {
  // A plugin is a function of (fastify, options): calling it without them
  // would fail in a way that says nothing about what to export instead.
  if (factory.length >= 2) {
    throw new PancakeCliAppError(`The ${what} of ${file} looks like a Fastify plugin (a function of (fastify, options)). Expected ${EXPECTED}.`)
  }
  let result: unknown
  try {
    result = factory()
    // Only a promise is awaited: a returned app would start loading.
    if (!isFastify(result) && isThenable(result)) result = await result
  } catch (err) {
    throw new PancakeCliAppError(`The function exported as the ${what} of ${file} failed to build the app: ${(err as Error)?.message ?? String(err)}`)
  }
  if (!isFastify(result)) {
    throw new PancakeCliAppError(`The function exported as the ${what} of ${file} returned ${describe(result)}, not a Fastify instance. Expected ${EXPECTED}.`)
  }
  return { app: result }
}

// A promise that resolves to an app has loaded its plugins by then: a
// promise cannot resolve to a thenable without awaiting it.
async function settle (file: string, what: string, promise: PromiseLike<unknown>): Promise<{ app: FastifyInstance }> {
  let result: unknown
  try {
    result = await promise
  } catch (err) {
    throw new PancakeCliAppError(`The promise exported as the ${what} of ${file} rejected: ${(err as Error)?.message ?? String(err)}`)
  }
  if (!isFastify(result)) {
    throw new PancakeCliAppError(`The promise exported as the ${what} of ${file} resolved to ${describe(result)}, not a Fastify instance. Expected ${EXPECTED}.`)
  }
  return { app: result }
}

function describe (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  switch (typeof value) {
    case 'undefined': return 'nothing'
    case 'object': return 'an object that is not a Fastify instance'
    case 'function': return 'a function'
    case 'string': return `the string ${JSON.stringify(value)}`
    default: return `the ${typeof value} ${String(value)}`
  }
}

function loaderHint (file: string, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  // Node 20 refuses the extension; Node 22.18+ strips the types itself and
  // then may fail on what the source needs a loader for.
  const unloadable = code === 'ERR_UNKNOWN_FILE_EXTENSION' || code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX' || err instanceof SyntaxError
  if (unloadable && ['.ts', '.mts', '.cts'].includes(extname(file))) {
    return ' (to load TypeScript sources, run the command under a TypeScript loader, e.g. NODE_OPTIONS="--import tsx" pancake ...)'
  }
  return ''
}
