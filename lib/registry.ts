/** The instance name used when a definition or registration names none. */
export const DEFAULT_INSTANCE = 'pancake'

/**
 * A definition that replaced an earlier one of the same kind and name in
 * the same instance, and where each was made (`path:line:column`).
 */
export interface ReplacedDefinition {
  readonly kind: 'switch' | 'flag' | 'sample'
  readonly name: string
  readonly earlier: string
  readonly later: string
}

// A stack captured where a definition is made. Capturing is cheap (V8
// keeps the frames); turning them into text, which is not, happens only
// for a definition that turns out to be replaced.
interface Site { stack?: string }

// The library's own frames (the constructors) are skipped to name the
// caller's line.
const LIBRARY_DIR = __dirname

/** The first frame of `site` outside this library: where the definition was made. */
function placeOf (site: Site): string {
  for (const line of (site.stack ?? '').split('\n').slice(1)) {
    const frame = /\(([^()]*)\)\s*$/.exec(line)?.[1] ?? line.replace(/^\s*at\s+/, '').trim()
    const path = frame.startsWith('file://') ? decodeURIComponent(new URL(frame).pathname) : frame
    if (!path.startsWith(LIBRARY_DIR) && !path.startsWith('node:')) return path
  }
  return 'an unknown place'
}

interface Replacement {
  readonly kind: ReplacedDefinition['kind']
  readonly name: string
  readonly earlier: Site
  readonly later: Site
}

/**
 * The definitions of one kind in one instance, by name. A later definition
 * of a name replaces the earlier one, as in flask-pancake; the replacement
 * is recorded with where each was made, for the app to warn about.
 */
class DefinitionMap<T extends object> extends Map<string, T> {
  readonly #kind: ReplacedDefinition['kind']
  readonly #replacements: Replacement[]
  readonly #sites = new WeakMap<T, Site>()

  constructor (kind: ReplacedDefinition['kind'], replacements: Replacement[]) {
    super()
    this.#kind = kind
    this.#replacements = replacements
  }

  override set (name: string, definition: T): this {
    const site: Site = {}
    Error.captureStackTrace(site, this.set)
    const earlier = this.get(name)
    if (earlier !== undefined && earlier !== definition) {
      this.#replacements.push({ kind: this.#kind, name, earlier: this.#sites.get(earlier) ?? {}, later: site })
    }
    this.#sites.set(definition, site)
    return super.set(name, definition)
  }
}

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
 * flask-pancake; the app that registers the instance warns about it. (The one registry of the process is `definitions`, made by
 * the definitions module with their types.)
 */
export class DefinitionRegistry<S extends object = object, F extends object = object, P extends object = object> {
  readonly #byInstance = new Map<string, InstanceDefinitions<S, F, P>>()
  readonly #replacements = new Map<string, Replacement[]>()

  of (instance: string): Readonly<InstanceDefinitions<S, F, P>> {
    let definitions = this.#byInstance.get(instance)
    if (definitions === undefined) {
      const replacements: Replacement[] = []
      this.#replacements.set(instance, replacements)
      definitions = {
        switches: new DefinitionMap<S>('switch', replacements),
        flags: new DefinitionMap<F>('flag', replacements),
        samples: new DefinitionMap<P>('sample', replacements)
      }
      this.#byInstance.set(instance, definitions)
    }
    return definitions
  }

  /** The definitions of `instance` that replaced another of the same kind and name, in order. */
  replaced (instance: string): ReplacedDefinition[] {
    return (this.#replacements.get(instance) ?? []).map(({ kind, name, earlier, later }) =>
      ({ kind, name, earlier: placeOf(earlier), later: placeOf(later) }))
  }

  /** Forgets every definition; for tests that define the same names again. */
  clear (): void {
    this.#byInstance.clear()
    this.#replacements.clear()
  }
}

/**
 * The definition of that name in `definitions`: the exact name first;
 * failing that, the one name equal to it but for case, since the store key
 * is upper-cased anyway. Undefined when there is none, or several.
 */
export function byName<T extends { readonly name: string }> (definitions: ReadonlyMap<string, T>, name: string): T | undefined {
  const exact = definitions.get(name)
  if (exact !== undefined) return exact
  const wanted = name.toUpperCase()
  let found: T | undefined
  for (const definition of definitions.values()) {
    if (definition.name.toUpperCase() !== wanted) continue
    if (found !== undefined) return undefined
    found = definition
  }
  return found
}
