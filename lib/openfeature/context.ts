import { PancakeInvalidContextError, PancakeInvalidOptionError } from '../errors.js'
import type { EvaluationContext } from '../evaluation.js'
import type { PancakeInstance } from '../instance.js'

/**
 * An OpenFeature evaluation context as the SDKs and OFREP carry it:
 * `targetingKey` and any other attributes.
 */
export type OpenFeatureContext = Readonly<Record<string, unknown>>

/** How an OpenFeature context becomes object ids by group. */
export interface ContextMappingOptions {
  /**
   * The group whose object id a context's `targetingKey` is; by default the
   * instance's first group. `false`: `targetingKey` is not used.
   */
  targetingKey?: string | false
  /**
   * The other attributes that are object ids: attribute name → group name.
   * By default an attribute named like a group (`{ team: 't1' }`) is that
   * group's object id.
   */
  attributes?: Readonly<Record<string, string>>
  /**
   * The whole mapping, replacing `targetingKey` and `attributes`: object ids
   * by group name, or undefined when the context names no object.
   */
  mapContext?: (context: OpenFeatureContext) => EvaluationContext | undefined
}

const KNOWN = ['targetingKey', 'attributes', 'mapContext'] as const

/** Turns OpenFeature contexts into the object ids of one instance's groups. */
export class ContextMapping {
  readonly #targetingKey: string | false | undefined
  readonly #attributes: ReadonlyMap<string, string> | undefined
  readonly #map: ContextMappingOptions['mapContext']

  /**
   * @param options checked here: a bad one throws naming it, after `prefix`.
   */
  constructor (options: ContextMappingOptions, prefix = '') {
    const { targetingKey, attributes, mapContext } = options
    if (targetingKey !== undefined && targetingKey !== false && (typeof targetingKey !== 'string' || targetingKey === '')) {
      throw new PancakeInvalidOptionError(`${prefix}targetingKey`, `must be a group name or false, got ${JSON.stringify(targetingKey)}`)
    }
    if (attributes !== undefined &&
        (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes) ||
         Object.values(attributes).some((group) => typeof group !== 'string' || group === ''))) {
      throw new PancakeInvalidOptionError(`${prefix}attributes`, 'must be an object of attribute names to group names')
    }
    if (mapContext !== undefined) {
      if (typeof mapContext !== 'function') throw new PancakeInvalidOptionError(`${prefix}mapContext`, 'must be a function of the context')
      if (targetingKey !== undefined || attributes !== undefined) {
        throw new PancakeInvalidOptionError(`${prefix}mapContext`, 'replaces targetingKey and attributes: give it alone')
      }
    }
    this.#targetingKey = targetingKey
    this.#attributes = attributes === undefined ? undefined : new Map(Object.entries(attributes))
    this.#map = mapContext
  }

  /** The option names this mapping takes. */
  static readonly options: readonly string[] = KNOWN

  /** Checks that the groups named exist in `instance`; throws naming the option. */
  check (instance: PancakeInstance, prefix = ''): void {
    const named: Array<[string, string]> = []
    if (typeof this.#targetingKey === 'string') named.push(['targetingKey', this.#targetingKey])
    for (const [attribute, group] of this.#attributes ?? []) named.push([`attributes.${attribute}`, group])
    for (const [option, group] of named) {
      if (!instance.groupIds.includes(group)) {
        throw new PancakeInvalidOptionError(`${prefix}${option}`, `names group '${group}', which pancake instance '${instance.name}' does not have (groups: ${instance.groupIds.join(', ') || 'none'})`)
      }
    }
  }

  /**
   * The object ids `context` gives, by group; undefined when it gives none.
   * Only the attributes `use` accepts are read. An attribute that should
   * be an id and is neither a string nor a number throws a
   * {@link PancakeInvalidContextError}.
   */
  ids (instance: PancakeInstance, context: OpenFeatureContext, use: (attribute: string) => boolean = () => true): EvaluationContext | undefined {
    if (this.#map !== undefined) {
      const used: Record<string, unknown> = {}
      for (const [attribute, value] of Object.entries(context)) if (use(attribute)) used[attribute] = value
      return this.#map(used)
    }
    const ids: Record<string, string | number> = {}
    let found = false
    const take = (attribute: string, group: string | undefined): void => {
      const value = context[attribute]
      if (group === undefined || value === undefined || value === null || !use(attribute)) return
      if (typeof value !== 'string' && (typeof value !== 'number' || !Number.isFinite(value))) {
        throw new PancakeInvalidContextError(`attribute '${attribute}' is the object id in group '${group}', so it must be a string or a number, got ${typeof value === 'number' ? String(value) : typeof value}`)
      }
      ids[group] = value
      found = true
    }
    // targetingKey first: an attribute naming the same group wins.
    take('targetingKey', this.#targetingKey === undefined ? instance.groupIds[0] : this.#targetingKey || undefined)
    for (const attribute of Object.keys(context)) {
      if (attribute === 'targetingKey') continue
      take(attribute, this.#attributes === undefined ? (instance.groupIds.includes(attribute) ? attribute : undefined) : this.#attributes.get(attribute))
    }
    return found ? ids : undefined
  }
}
