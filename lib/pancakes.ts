import type { AnyDefinition } from './definitions.js'
import { storage } from './engine.js'
import { PancakeDuplicateInstanceError, PancakeUnknownInstanceError } from './errors.js'
import type { Evaluation, EvaluationContext } from './evaluation.js'
import type { PancakeInstance } from './instance.js'
import { DEFAULT_INSTANCE } from './registry.js'
import { Scope, type Instances } from './scope.js'

/**
 * The pancake instances registered on one app, decorated as `app.pancakes`.
 * It is also the explicit way in for code that runs outside a request.
 */
export class Pancakes implements Iterable<PancakeInstance>, Instances<PancakeInstance> {
  readonly #instances = new Map<string, PancakeInstance>()

  /** The instance of that name (default `pancake`); throws when there is none. */
  get (name: string = DEFAULT_INSTANCE): PancakeInstance {
    const instance = this.#instances.get(name)
    if (instance === undefined) {
      throw new PancakeUnknownInstanceError(name, [...this.#instances.keys()].map((known) => `'${known}'`).join(', ') || 'none')
    }
    return instance
  }

  has (name: string): boolean {
    return this.#instances.has(name)
  }

  /** Instance names in registration order. */
  names (): string[] {
    return [...this.#instances.keys()]
  }

  [Symbol.iterator] (): Iterator<PancakeInstance> {
    return this.#instances.values()
  }

  /**
   * Runs `fn` in a scope of this app without a request, for jobs, scripts,
   * tests and the CLI: every definition check and change inside it reaches
   * this app's stores. With no request, group functions are not consulted,
   * so a flag answers with its global value unless an object id is given.
   */
  run<T>(fn: () => T): T {
    return storage.run(new Scope(this), fn)
  }

  /**
   * Whether a definition is active, and why, from anywhere: with `context`
   * (object ids by group name, e.g. `{ user: '42', company: 'acme' }`) for
   * exactly those objects; without, for the current request when called in
   * one (what `isActive()` answers), else for no object (the global value).
   * See {@link PancakeInstance.evaluate}.
   */
  async evaluate (definition: AnyDefinition, context?: EvaluationContext): Promise<Evaluation> {
    return await this.get(definition.instance).evaluate(definition, context)
  }

  /** @internal called by the plugin at registration. */
  add (instance: PancakeInstance): void {
    if (this.#instances.has(instance.name)) throw new PancakeDuplicateInstanceError(instance.name)
    this.#instances.set(instance.name, instance)
  }
}
