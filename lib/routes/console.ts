import type { AuditEntry } from '../audit.js'
import type { Flag } from '../definitions.js'
import type { Evaluation } from '../evaluation.js'
import type { PancakeInstance } from '../instance.js'
import { candidateIds, pancakeOverview } from './overview.js'
import type { PancakeOverview } from './schemas.js'
import { sortedByName } from './sorted.js'
import { checkGroup, overridesPage } from './write.js'

/** What the console's query string may ask for; every field optional. */
export interface ConsoleQuery {
  /** The filter box: names (and descriptions) that contain it. */
  q?: string
  /** A later page of one flag's overrides in one group, without JavaScript. */
  flag?: string
  group?: string
  cursor?: string
  /** "What does object X see?": an object id, and its group. */
  see?: string
  seeGroup?: string
}

export interface ConsoleOverride {
  objectId: string
  value: boolean | null
}

export interface ConsoleGroup {
  group: string
  overrides: ConsoleOverride[]
  /** The cursor of the next page of overrides; '0' when there is none. */
  cursor: string
}

export interface ConsoleEntry {
  name: string
  description: string | undefined
  last: AuditEntry | undefined
}

export interface ConsoleModel {
  overview: PancakeOverview
  /** The instances the console serves, for the switcher. */
  instances: readonly string[]
  /** The routes' prefix. */
  base: string
  /** Whether the write route is open (its hook still decides who may). */
  writable: boolean
  query: ConsoleQuery
  descriptions: ReadonlyMap<string, ConsoleEntry>
  groups: ReadonlyMap<string, ConsoleGroup[]>
  history: AuditEntry[]
  /** Each flag's answer for the object of "what does object X see?". */
  sees: ReadonlyArray<{ name: string, value: boolean, why: string }> | undefined
}

/** Overrides listed per flag and group on the page; the rest page by page. */
export const PAGE = 20
/** How many audit entries the page reads, for its history and each definition's last change. */
const HISTORY_READ = 500
const HISTORY_SHOWN = 20

/** Everything the console page shows for one instance. */
export async function consoleModel (pancake: PancakeInstance, settings: { instances: readonly string[], base: string, writable: boolean, query: ConsoleQuery }): Promise<ConsoleModel> {
  const { query } = settings
  const [overview, history, groups, sees] = await Promise.all([
    pancakeOverview(pancake),
    // The page still shows every value while the trail cannot be read.
    pancake.history({ limit: HISTORY_READ }).catch(() => []),
    overrides(pancake, query),
    query.see === undefined || query.see === '' ? undefined : whatObjectSees(pancake, query.seeGroup ?? pancake.groupIds[0] ?? '', query.see)
  ])
  const descriptions = new Map<string, ConsoleEntry>()
  for (const map of [pancake.switches, pancake.flags, pancake.samples]) {
    for (const definition of map.values()) {
      const last = history.find((entry) => entry.kind === definition.kind && entry.name.toUpperCase() === definition.name.toUpperCase())
      descriptions.set(`${definition.kind}:${definition.name}`, { name: definition.name, description: definition.description, last })
    }
  }
  return { ...settings, overview, descriptions, groups, history: history.slice(0, HISTORY_SHOWN), sees }
}

/**
 * For every flag and group, the first page of objects that have an
 * override (from the tracking set), with the group function's candidates
 * added; the page the query asks for instead, for that flag and group.
 */
async function overrides (pancake: PancakeInstance, query: ConsoleQuery): Promise<Map<string, ConsoleGroup[]>> {
  const candidates = await Promise.all(pancake.groups.map(async (group) => candidateIds(await group.candidateIds())))
  const all = new Map<string, ConsoleGroup[]>()
  await Promise.all(sortedByName(pancake.flags).map(async (flag) => {
    all.set(flag.name, await Promise.all(pancake.groupIds.map(async (group, i) => {
      const asked = query.flag === flag.name && query.group === group && query.cursor !== undefined && /^\d+$/.test(query.cursor)
      const page = await overridesPage(pancake, flag.name, group, asked ? query.cursor as string : '0', PAGE)
      const listed = new Set(page.overrides.map((override) => override.objectId))
      const extra = await Promise.all((candidates[i] ?? []).filter((id) => !listed.has(id)).map(async (id) => ({ objectId: id, value: await flag.isActiveGroup(group, id) })))
      return { group, overrides: [...page.overrides, ...extra], cursor: page.cursor }
    })))
  }))
  return all
}

/**
 * What each flag answers for one object of one group, and why: the
 * engine's evaluation with exactly that object as context.
 */
async function whatObjectSees (pancake: PancakeInstance, group: string, objectId: string): Promise<Array<{ name: string, value: boolean, why: string }>> {
  checkGroup(pancake, group)
  return await Promise.all(sortedByName(pancake.flags).map(async (flag: Flag) => {
    const evaluation = await pancake.evaluate(flag, { [group]: objectId })
    return { name: flag.name, value: evaluation.value, why: reasonOf(evaluation) }
  }))
}

/** An evaluation's reason, in words. */
function reasonOf (evaluation: Evaluation): string {
  switch (evaluation.reason) {
    case 'override': return `override for ${evaluation.group ?? ''} ${evaluation.objectId ?? ''}`
    case 'rollout': return `rollout of ${evaluation.percentage ?? 0} % in ${evaluation.group ?? ''} (bucket ${evaluation.bucket ?? 0})`
    case 'default': return 'default (nothing stored)'
    default: return 'global value'
  }
}
