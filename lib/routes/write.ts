import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import { Flag, Sample, type Switch } from '../definitions.js'
import {
  PancakeBadChangeError,
  PancakeCrossSiteWriteError,
  PancakeDefinitionNotFoundError,
  PancakeUnknownGroupError,
  PancakeWriteMediaTypeError,
  PancakeWritesLockedError
} from '../errors.js'
import type { PancakeInstance } from '../instance.js'
import { decodeBoolean, objectKeyPrefix, trackingKey } from '../keys.js'
import { byName } from '../registry.js'
import { storage } from '../engine.js'
import type { PancakeChangeRequest, PancakeChangeResult, PancakeOverridesPage } from './schemas.js'

/**
 * Refuses a change a browser sends for another site (CSRF): a cross-site
 * `Sec-Fetch-Site`, else an `Origin` whose host is not the request's, and
 * any body that is not JSON, which a form or a no-CORS fetch cannot send.
 * A client that sends neither header (curl, a script) is no browser acting
 * for a user, and passes to the write hook.
 */
export const refuseCrossSite: onRequestAsyncHookHandler = async (request) => {
  const site = request.headers['sec-fetch-site']
  if (site !== undefined) {
    if (site !== 'same-origin' && site !== 'none') throw new PancakeCrossSiteWriteError(`Sec-Fetch-Site: ${site}`)
  } else {
    const origin = request.headers.origin
    if (origin !== undefined && !sameHost(origin, request.headers.host)) {
      throw new PancakeCrossSiteWriteError(`Origin: ${origin}`)
    }
  }
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') throw new PancakeWriteMediaTypeError()
}

/** Whether an Origin header names the request's Host (a default port or not); never for `null` or garbage. */
function sameHost (origin: string, host: string | undefined): boolean {
  if (host === undefined) return false
  try {
    const from = new URL(origin)
    return from.host === new URL(`${from.protocol}//${host}`).host
  } catch {
    return false
  }
}

export const writesLocked: onRequestAsyncHookHandler = async () => {
  throw new PancakeWritesLockedError()
}

type Kind = PancakeChangeRequest['kind']

/** A definition by its exact name, else the one name equal to it but for case. */
export function findDefinition<T extends Switch | Flag | Sample> (pancake: PancakeInstance, kind: Kind, name: string): T {
  const definitions = (kind === 'switch' ? pancake.switches : kind === 'flag' ? pancake.flags : pancake.samples) as ReadonlyMap<string, T>
  const found = byName(definitions, name)
  if (found === undefined) throw new PancakeDefinitionNotFoundError(kind, name, pancake.name)
  return found
}

/** A group named by a request: unknown is the client's mistake (400). */
export function checkGroup (pancake: PancakeInstance, group: string): void {
  if (!pancake.groupIds.includes(group)) throw new PancakeUnknownGroupError(group, pancake.name)
}

/**
 * Applies one change in the request's scope, its writes audited as made by
 * `actor` through the routes.
 */
export async function applyChange (pancake: PancakeInstance, change: PancakeChangeRequest, actor: string): Promise<PancakeChangeResult> {
  const { kind, action, group, objectId, value } = change
  const refuse = (why = ''): never => { throw new PancakeBadChangeError(kind, action, why) }
  const definition = findDefinition(pancake, kind, change.name)
  const scope = storage.getStore()
  if (scope !== undefined) scope.origin = { actor, source: 'route' }
  if (action === 'clear') {
    await definition.clear()
  } else if (definition instanceof Sample) {
    if (action !== 'set') refuse()
    if (value === undefined) refuse(' without a value')
    await definition.set(value as number)
  } else if (action === 'enable' || action === 'disable') {
    await (definition as Switch | Flag)[action]()
  } else if (!(definition instanceof Flag) || action === 'set') {
    refuse()
  } else {
    if (group === undefined) refuse(' without a group')
    checkGroup(pancake, group as string)
    if (action === 'clear-all-group') await definition.clearAllGroup(group as string)
    else if (action === 'clear-rollout') await definition.clearRollout(group as string)
    else if (action === 'rollout') await definition.setRollout(group as string, value ?? refuse(' without a value'))
    else if (objectId === undefined) refuse(' without an objectId')
    else if (action === 'enable-group') await definition.enableGroup(group as string, objectId)
    else if (action === 'disable-group') await definition.disableGroup(group as string, objectId)
    else await definition.clearGroup(group as string, objectId)
  }
  return { instance: pancake.name, kind, name: definition.name, action, actor }
}

/**
 * One page of the objects that have an override of `flag` in `group`, from
 * the group's tracking set (SSCAN), with their values.
 */
export async function overridesPage (pancake: PancakeInstance, flagName: string, group: string, cursor: string, count: number): Promise<PancakeOverridesPage> {
  const flag = findDefinition<Flag>(pancake, 'flag', flagName)
  checkGroup(pancake, group)
  const store = pancake.store
  const [next, keys] = await store.scanTracked?.(trackingKey(pancake.name, group, flag.name), cursor, count) ?? ['0', []]
  const prefix = `${objectKeyPrefix(pancake.name, group, flag.name)}:`
  const owned = keys.filter((key) => key.startsWith(prefix)).sort()
  const values = owned.length === 0 ? [] : await store.read([], owned)
  return {
    flag: flag.name,
    group,
    overrides: owned.map((key, i) => ({ objectId: key.slice(prefix.length), value: decodeBoolean(values[i] ?? '') ?? null })),
    cursor: next
  }
}

/** Who the routes record a change as: the app's `actor` function, else `anonymous`. */
export async function actorOf (actor: ((request: FastifyRequest, reply: FastifyReply) => string | Promise<string>) | undefined, request: FastifyRequest, reply: FastifyReply): Promise<string> {
  const name = actor === undefined ? undefined : await actor(request, reply)
  return typeof name === 'string' && name !== '' ? name : 'anonymous'
}
