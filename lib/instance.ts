import type { AuditEntry, HistoryQuery } from './audit.js'
import { definitions, type AnyDefinition, type Flag, type Sample, type Switch } from './definitions.js'
import { Engine, type EngineSettings } from './engine.js'
import { PancakeUnknownDefinitionError } from './errors.js'
import type { Evaluation, EvaluationContext } from './evaluation.js'

export type PancakeInstanceSettings = EngineSettings

/**
 * One registration of the plugin: a store, the group functions in order, and
 * the sample cookie settings. Its definitions are those made with its name.
 * Reach it with `app.pancakes.get(name)`.
 */
export class PancakeInstance extends Engine {
  get switches (): ReadonlyMap<string, Switch> {
    return definitions.of(this.name).switches
  }

  get flags (): ReadonlyMap<string, Flag> {
    return definitions.of(this.name).flags
  }

  get samples (): ReadonlyMap<string, Sample> {
    return definitions.of(this.name).samples
  }

  protected override knowsSample = (name: string): boolean => this.samples.has(name)

  /** Every definition's key and stored default, for loading them in one batch. */
  definitionDefaults (): Array<[key: string, value: string]> {
    const all: Array<[string, string]> = []
    for (const map of [this.switches, this.flags, this.samples]) {
      for (const definition of map.values()) all.push([definition.key, definition.storedDefault])
    }
    return all
  }

  /** The rollout key of every flag in every group: held in memory with the definitions' values. */
  rolloutKeyList (): string[] {
    const keys: string[] = []
    for (const flag of this.flags.values()) keys.push(...flag.rolloutKeys(this.groups))
    return keys
  }

  /**
   * The newest entries of the audit trail, newest first: every write made
   * through the library (API, routes, CLI), with who made it and the value
   * before and after. `name` keeps those of one definition.
   */
  async history (query: { limit?: number, name?: string } = {}): Promise<AuditEntry[]> {
    const limit = query.limit ?? 100
    const full: HistoryQuery = query.name === undefined ? { limit } : { limit, name: query.name }
    return await this.store.history?.(this.auditStream, full) ?? []
  }

  /** The switch, flag or sample of that name (as defined); undefined when there is none. */
  definition (name: string): AnyDefinition | undefined {
    return this.switches.get(name) ?? this.flags.get(name) ?? this.samples.get(name)
  }

  /**
   * Whether a definition of this instance is active, and why: `override`
   * (with the group and object), `rollout` (with the group, object, bucket
   * and percentage), `global`, `default` (nothing usable stored), `sample`.
   *
   * With `context` (object ids by group name: `{ user: '42' }`), for exactly
   * those objects, from anywhere: jobs, tests, other protocols; group
   * functions are not called. Without it, inside a request, for the
   * request (what `isActive()` answers); outside any request, for no object.
   *
   * @param definition the definition, or its name in this instance.
   */
  async evaluate (definition: AnyDefinition | string, context?: EvaluationContext): Promise<Evaluation> {
    const found = typeof definition === 'string' ? this.definition(definition) : definition
    if (found === undefined || found.instance !== this.name) {
      throw new PancakeUnknownDefinitionError(typeof definition === 'string' ? definition : definition.name, this.name)
    }
    return await this.evaluateFor(found, context)
  }
}
