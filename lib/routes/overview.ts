import type { Flag } from '../definitions.js'
import { normalizeObjectId, type ObjectId } from '../groups.js'
import type { PancakeInstance } from '../instance.js'
import type { PancakeFlagOverview, PancakeOverview } from './schemas.js'
import { sortedByName } from './sorted.js'

type Candidates = ReadonlyArray<readonly [group: string, ids: readonly string[]]>

/**
 * Every definition of one instance with its default and stored state, sorted
 * by name, and for each flag the override of every candidate id of every
 * group: the body of `GET /overview`, in flask-pancake's shape. It only
 * reads: the one write it can cause is a default stored on first read,
 * as any check stores it. Call it in a request or in `app.pancakes.run()`.
 */
export async function pancakeOverview (pancake: PancakeInstance): Promise<PancakeOverview> {
  const candidates: Candidates = await Promise.all(pancake.groups.map(async (group) =>
    [group.name, candidateIds(await group.candidateIds())] as const))
  const [flags, samples, switches] = await Promise.all([
    Promise.all(sortedByName(pancake.flags).map(async (flag) => await flagOverview(flag, candidates))),
    Promise.all(sortedByName(pancake.samples).map(async (sample) => ({
      name: sample.name,
      default: sample.default,
      value: await sample.get()
    }))),
    Promise.all(sortedByName(pancake.switches).map(async (definition) => ({
      name: definition.name,
      default: definition.default,
      is_active: await definition.isActive()
    })))
  ])
  return { name: pancake.name, group_ids: pancake.groupIds, flags, samples, switches }
}

async function flagOverview (flag: Flag, candidates: Candidates): Promise<PancakeFlagOverview> {
  const [isActive, rollouts, states] = await Promise.all([
    flag.isActiveGlobally(),
    flag.rollouts(),
    Promise.all(candidates.map(async ([group, ids]) =>
      await Promise.all(ids.map(async (id) => [id, await flag.isActiveGroup(group, id)] as const))))
  ])
  const groups: PancakeFlagOverview['groups'] = {}
  candidates.forEach(([group], i) => {
    const byId: Record<string, boolean | null> = {}
    for (const [id, state] of states[i] ?? []) setOwn(byId, id, state)
    setOwn(groups, group, byId)
  })
  return { name: flag.name, default: flag.default, is_active: isActive, groups, rollouts }
}

// Group functions written in JavaScript may list numbers; a repeated id is
// listed once.
export function candidateIds (ids: readonly unknown[]): string[] {
  const unique = new Set<string>()
  for (const id of ids) {
    const normalized = normalizeObjectId(id as ObjectId)
    if (normalized !== undefined) unique.add(normalized)
  }
  return [...unique]
}

// Ids are the application's strings, `__proto__` included: define them as
// own properties, which assignment would not do for that one.
function setOwn<T> (target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}
