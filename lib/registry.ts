import type { Flag, Sample, Switch } from './definitions.js'

/** The instance name used when a definition or registration names none. */
export const DEFAULT_INSTANCE = 'pancake'

interface InstanceDefinitions {
  switches: Map<string, Switch>
  flags: Map<string, Flag>
  samples: Map<string, Sample>
}

/**
 * Every definition made in this process, by instance name. Definitions are
 * made at module level, before any app exists, so they cannot belong to an
 * app; an app's instance looks its definitions up here by name. A later
 * definition of the same kind and name replaces the earlier one, as in
 * flask-pancake.
 */
class DefinitionRegistry {
  readonly #byInstance = new Map<string, InstanceDefinitions>()

  of (instance: string): Readonly<InstanceDefinitions> {
    let definitions = this.#byInstance.get(instance)
    if (definitions === undefined) {
      definitions = { switches: new Map(), flags: new Map(), samples: new Map() }
      this.#byInstance.set(instance, definitions)
    }
    return definitions
  }

  /** Forgets every definition; for tests that define the same names again. */
  clear (): void {
    this.#byInstance.clear()
  }
}

export const definitions = new DefinitionRegistry()
export type { DefinitionRegistry }
