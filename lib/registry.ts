/** The instance name used when a definition or registration names none. */
export const DEFAULT_INSTANCE = 'pancake'

/** The definitions of one instance, by kind, then by name. */
export interface InstanceDefinitions<S, F, P> {
  switches: Map<string, S>
  flags: Map<string, F>
  samples: Map<string, P>
}

/**
 * Every definition made in this process, by instance name. Definitions are
 * made at module level, before any app exists, so they cannot belong to an
 * app; an app's instance looks its definitions up here by name. A later
 * definition of the same kind and name replaces the earlier one, as in
 * flask-pancake. (The one registry of the process is `definitions`, made by
 * the definitions module with their types.)
 */
export class DefinitionRegistry<S = unknown, F = unknown, P = unknown> {
  readonly #byInstance = new Map<string, InstanceDefinitions<S, F, P>>()

  of (instance: string): Readonly<InstanceDefinitions<S, F, P>> {
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
