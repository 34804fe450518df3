import { createRequire } from 'node:module'
import { isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FastifyRequest } from 'fastify'
import { PancakeGroupResolveError, PancakeInvalidOptionError } from './errors.js'

/** What a group function may return: an object id, or nothing. */
export type ObjectId = string | number | bigint | null | undefined

/** Maps the current request to the id of its object in one group. */
export type GroupFunction = ((request: FastifyRequest) => ObjectId | Promise<ObjectId>) & {
  /** Ids the overview lists for this group, as with a {@link GroupFunc}. */
  getCandidateIds?: () => readonly string[] | Promise<readonly string[]>
}

/**
 * The class-based form of a group function, as flask-pancake's `GroupFunc`:
 * besides mapping a request to an object id, it names the ids an operator
 * will want to see on the overview (e.g. `['yes', 'no']`).
 */
export abstract class GroupFunc {
  abstract getObjectId (request: FastifyRequest): ObjectId | Promise<ObjectId>
  getCandidateIds (): readonly string[] | Promise<readonly string[]> {
    return []
  }
}

/** A {@link GroupFunc} instance or any object of the same shape. */
export interface GroupObject {
  getObjectId: (request: FastifyRequest) => ObjectId | Promise<ObjectId>
  getCandidateIds?: () => readonly string[] | Promise<readonly string[]>
}

/** A class whose instances are {@link GroupObject}s; instantiated with no arguments. */
export type GroupClass = new () => GroupObject

/**
 * One entry of the `groupFuncs` option: a function, an object or class with
 * `getObjectId()`/`getCandidateIds()`, or a string `'module:export'` naming one
 * of those, resolved at registration relative to the working directory.
 */
export type GroupFuncSource = GroupFunction | GroupObject | GroupClass | string

/** A group function in the one shape the library uses. */
export interface Group {
  readonly name: string
  objectId: (request: FastifyRequest) => ObjectId | Promise<ObjectId>
  candidateIds: () => Promise<readonly string[]>
}

/**
 * The id of an object in the store: group functions may return numbers.
 * `''`, `NaN` and `±Infinity` are no object's id (a failed lookup, a
 * parse of nothing), so they mean "no id in this group", as null does.
 */
export function normalizeObjectId (id: ObjectId): string | undefined {
  switch (typeof id) {
    case 'string': return id === '' ? undefined : id
    case 'number': return Number.isFinite(id) ? String(id) : undefined
    case 'bigint': return String(id)
    default: return undefined
  }
}

export async function resolveGroups (groupFuncs: Record<string, GroupFuncSource>, cwd = process.cwd()): Promise<Group[]> {
  const groups: Group[] = []
  for (const [name, source] of Object.entries(groupFuncs)) {
    if (name === '' || name.includes(':')) {
      throw new PancakeInvalidOptionError(`groupFuncs.${name}`, 'must be named with a non-empty string without ":"')
    }
    const value = typeof source === 'string' ? await importReference(name, source, cwd) : source
    groups.push(toGroup(name, value, typeof source === 'string' ? source : undefined))
  }
  return groups
}

function toGroup (name: string, value: unknown, reference: string | undefined): Group {
  if (isGroupClass(value)) {
    const GroupClass = value
    value = new GroupClass()
  }
  if (typeof value === 'function') {
    const fn = value as GroupFunction
    return {
      name,
      objectId: fn,
      candidateIds: async () => [...(await fn.getCandidateIds?.() ?? [])]
    }
  }
  if (value !== null && typeof value === 'object' && typeof (value as GroupObject).getObjectId === 'function') {
    const object = value as GroupObject
    return {
      name,
      objectId: (request) => object.getObjectId(request),
      candidateIds: async () => [...(await object.getCandidateIds?.() ?? [])]
    }
  }
  const what = reference === undefined ? 'is' : `refers to '${reference}', which is`
  throw new PancakeInvalidOptionError(`groupFuncs.${name}`, `${what} not a group function: expected a function of the request, an object or class with getObjectId(request), or a 'module:export' string`)
}

function isGroupClass (value: unknown): value is GroupClass {
  return typeof value === 'function' && typeof (value.prototype as Partial<GroupObject> | undefined)?.getObjectId === 'function'
}

async function importReference (group: string, reference: string, cwd: string): Promise<unknown> {
  const at = reference.lastIndexOf(':')
  // A Windows drive letter ("C:\...") is not the separator.
  if (at <= 1 || at === reference.length - 1) {
    throw new PancakeGroupResolveError(group, reference, "the format is 'path/to/module:exportName'")
  }
  const specifier = reference.slice(0, at)
  const exportName = reference.slice(at + 1)
  let module: Record<string, unknown>
  try {
    const path = specifier.startsWith('.') || isAbsolute(specifier)
      ? resolve(cwd, specifier)
      : createRequire(join(cwd, 'noop.js')).resolve(specifier)
    module = await import(pathToFileURL(path).href) as Record<string, unknown>
  } catch (err) {
    throw new PancakeGroupResolveError(group, reference, (err as Error).message)
  }
  // A CommonJS module imported from ESM keeps its exports under `default` too.
  const value = module[exportName] ?? (module.default as Record<string, unknown> | undefined)?.[exportName]
  if (value === undefined) {
    throw new PancakeGroupResolveError(group, reference, `module '${specifier}' has no export '${exportName}'`)
  }
  return value
}
