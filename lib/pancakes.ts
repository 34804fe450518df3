import type { FastifyBaseLogger } from 'fastify'
import type { WriteOrigin } from './audit.js'
import type { PancakeChange, PancakeHealth } from './changes.js'
import type { AnyDefinition } from './definitions.js'
import { storage } from './engine.js'
import { PancakeDuplicateInstanceError, PancakeInvalidOptionError, PancakeUnknownEventError, PancakeUnknownInstanceError } from './errors.js'
import type { Evaluation, EvaluationContext } from './evaluation.js'
import type { PancakeInstance } from './instance.js'
import { DEFAULT_INSTANCE } from './registry.js'
import { Scope, type Instances } from './scope.js'

/** The events of `app.pancakes`, and what their listeners receive. */
export interface PancakeEvents {
  /**
   * A change of state, once per change, on every app that learns of it:
   * its own writes, other processes' (announced through the store), and
   * writes made without the library when they are detected.
   */
  change: (change: PancakeChange) => void
  /** An instance's store stopped answering, or answers again. */
  health: (health: PancakeHealth) => void
}

type Listeners = { [E in keyof PancakeEvents]: Set<PancakeEvents[E]> }

/** Options of {@link Pancakes.run}. */
export interface RunOptions {
  /** Who the writes made inside are audited as: a user name, a job's name. */
  actor?: string
}

/**
 * The pancake instances registered on one app, decorated as `app.pancakes`.
 * It is also the explicit way in for code that runs outside a request.
 */
export class Pancakes implements Iterable<PancakeInstance>, Instances<PancakeInstance> {
  readonly #instances = new Map<string, PancakeInstance>()
  readonly #listeners: Listeners = { change: new Set(), health: new Set() }
  /** Instances whose store is down, and why. */
  readonly #down = new Map<string, Error>()
  /** Instances registered but not started yet (the app is not ready). */
  readonly #starting = new Set<string>()
  readonly #ready: Promise<void>
  #resolveReady: () => void = () => {}

  constructor () {
    this.#ready = new Promise((resolve) => { this.#resolveReady = resolve })
  }

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
   * `options.actor` names who its writes are audited as (default `app`).
   */
  run<T>(fn: () => T, options?: RunOptions): T {
    const actor = options?.actor
    if (actor !== undefined && (typeof actor !== 'string' || actor === '')) {
      throw new PancakeInvalidOptionError('actor', `must be a non-empty string, got ${JSON.stringify(actor)}`)
    }
    return this.runAs(actor === undefined ? undefined : { actor, source: 'api' }, fn)
  }

  /** @internal `run()` with writes audited as `origin` (the CLI, the routes). */
  runAs<T>(origin: WriteOrigin | undefined, fn: () => T): T {
    return storage.run(new Scope(this, undefined, undefined, origin), fn)
  }

  /**
   * Calls `listener` on every `change` (or `health` event). A listener that
   * throws or rejects is logged; the change it was told of stands.
   */
  on<E extends keyof PancakeEvents>(event: E, listener: PancakeEvents[E]): this {
    this.#of(event).add(listener)
    return this
  }

  /** Stops calling a listener given to {@link on}. */
  off<E extends keyof PancakeEvents>(event: E, listener: PancakeEvents[E]): this {
    this.#of(event).delete(listener)
    return this
  }

  listenerCount (event: keyof PancakeEvents): number {
    return this.#of(event).size
  }

  /** Whether the store of the instance of that name answers, as far as it is known: false from a failure until it answers again. */
  available (name: string = DEFAULT_INSTANCE): boolean {
    this.get(name)
    return !this.#down.has(name)
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

  /**
   * Resolves once the app is ready: every instance has loaded its
   * definitions (at the app's `onReady`, or at once after it).
   */
  async whenReady (): Promise<void> {
    await this.#ready
  }

  /** @internal called by the plugin at registration. */
  add (instance: PancakeInstance): void {
    if (this.#instances.has(instance.name)) throw new PancakeDuplicateInstanceError(instance.name)
    this.#instances.set(instance.name, instance)
    this.#starting.add(instance.name)
  }

  /** @internal called by the plugin once an instance has started, at the app's `onReady`. */
  started (name: string): void {
    this.#starting.delete(name)
    if (this.#starting.size === 0) this.#resolveReady()
  }

  /** @internal Tells the listeners of a change. */
  emitChange (change: PancakeChange, log: FastifyBaseLogger): void {
    this.#emit('change', change, log)
  }

  /** @internal Records an instance's health and tells the listeners when it changed. */
  emitHealth (health: PancakeHealth, log: FastifyBaseLogger): void {
    if (health.available === !this.#down.has(health.instance)) return
    if (health.available) this.#down.delete(health.instance)
    else this.#down.set(health.instance, health.error ?? new Error('the store is not answering'))
    this.#emit('health', health, log)
  }

  #emit<E extends keyof PancakeEvents>(event: E, payload: Parameters<PancakeEvents[E]>[0], log: FastifyBaseLogger): void {
    const failed = (err: unknown): void => { log.error({ err, event }, `fastify-pancake: a '${event}' listener failed`) }
    for (const listener of this.#of(event)) {
      try {
        const result: unknown = (listener as (payload: unknown) => unknown)(payload)
        if (result instanceof Promise) result.catch(failed)
      } catch (err) {
        failed(err)
      }
    }
  }

  #of<E extends keyof PancakeEvents>(event: E): Set<PancakeEvents[E]> {
    const listeners = Object.hasOwn(this.#listeners, event) ? this.#listeners[event] : undefined
    if (listeners === undefined) throw new PancakeUnknownEventError(String(event))
    return listeners
  }
}
