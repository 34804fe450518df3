import {
  FlagNotFoundError,
  GeneralError,
  InvalidContextError,
  OpenFeatureError,
  OpenFeatureEventEmitter,
  ProviderEvents,
  StandardResolutionReasons,
  TypeMismatchError,
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails
} from '@openfeature/server-sdk'
import type { PancakeChange, PancakeHealth } from '../changes.js'
import { Sample, type AnyDefinition } from '../definitions.js'
import { PancakeInvalidContextError, PancakeInvalidGroupError, PancakeInvalidOptionError } from '../errors.js'
import type { Evaluation, EvaluationContext as ObjectIds } from '../evaluation.js'
import type { PancakeInstance } from '../instance.js'
import type { Pancakes } from '../pancakes.js'
import { DEFAULT_INSTANCE } from '../registry.js'
import { ContextMapping, type ContextMappingOptions } from './context.js'
import { flagMetadata, openFeatureReason, variantOf } from './details.js'

export interface PancakeProviderOptions extends ContextMappingOptions {
  /** The pancake instance whose switches, flags and samples are the flags (default `pancake`). */
  instance?: string
}

const OPTIONS = ['instance', ...ContextMapping.options]

/**
 * An OpenFeature server provider over an app's fastify-pancake instance.
 * It decides nothing itself: each evaluation is the instance's own
 * `evaluate()`, for the object ids the context gives or, when it gives
 * none, for the current request (what `isActive()` answers there).
 *
 * Flags are the instance's definitions by name: switches and flags answer
 * booleans; samples answer a boolean (the draw, as `isActive()`) or a
 * number (the stored percentage).
 */
export class PancakeProvider implements Provider {
  readonly metadata = { name: 'fastify-pancake' } as const
  readonly runsOn = 'server'
  readonly events = new OpenFeatureEventEmitter()
  readonly #pancakes: Pancakes
  readonly #name: string
  readonly #mapping: ContextMapping
  #unfollow: (() => void) | undefined

  /**
   * @param app the Fastify app fastify-pancake is registered on (or its
   *   `app.pancakes`). The provider is ready once the app is.
   */
  constructor (app: { readonly pancakes: Pancakes } | Pancakes, options: PancakeProviderOptions = {}) {
    const pancakes = 'pancakes' in app ? app.pancakes : app
    if (pancakes === undefined || pancakes === null) {
      throw new PancakeInvalidOptionError('app', 'has no pancakes: register fastify-pancake on the app before making a PancakeProvider')
    }
    if (options === null || typeof options !== 'object') throw new PancakeInvalidOptionError('options', 'must be an object')
    for (const key of Object.keys(options)) {
      if (!OPTIONS.includes(key)) throw new PancakeInvalidOptionError(key, `is not an option of PancakeProvider (known: ${OPTIONS.join(', ')})`)
    }
    const { instance = DEFAULT_INSTANCE } = options
    if (typeof instance !== 'string' || instance === '') throw new PancakeInvalidOptionError('instance', 'must be the name of a pancake instance')
    this.#pancakes = pancakes
    this.#name = instance
    this.#mapping = new ContextMapping(options)
  }

  /**
   * Resolves once the app is ready (its definitions loaded). Rejects, so
   * the SDK reports an error, when the instance does not exist or the
   * options name groups it does not have, and while its store is down:
   * answers then come from defaults, and READY follows once it is back.
   */
  async initialize (): Promise<void> {
    await this.#pancakes.whenReady()
    this.#mapping.check(this.#instance())
    this.#follow()
    if (!this.#pancakes.available(this.#name)) throw new GeneralError(`the store of pancake instance '${this.#name}' is not answering; flags answer with their defaults until it is back`)
  }

  async onClose (): Promise<void> {
    this.#unfollow?.()
    this.#unfollow = undefined
  }

  async resolveBooleanEvaluation (flagKey: string, _defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    const instance = this.#instance()
    const evaluation = await this.#evaluate(instance, this.#definition(instance, flagKey), context)
    return {
      value: evaluation.value,
      variant: variantOf(evaluation.value),
      reason: openFeatureReason(evaluation.reason),
      flagMetadata: flagMetadata(this.#name, evaluation)
    }
  }

  /** A sample's stored percentage. */
  async resolveNumberEvaluation (flagKey: string, _defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    const instance = this.#instance()
    const definition = this.#definition(instance, flagKey)
    if (!(definition instanceof Sample)) throw this.#mismatch(definition, 'a number')
    // With ids of its own (none at worst): asking for the percentage draws
    // nothing for the request.
    const evaluation = await this.#evaluate(instance, definition, context, {})
    if (evaluation.percentage === undefined) throw new GeneralError(`sample '${flagKey}' has no percentage`)
    return { value: evaluation.percentage, reason: StandardResolutionReasons.STATIC, flagMetadata: flagMetadata(this.#name, evaluation) }
  }

  async resolveStringEvaluation (flagKey: string): Promise<ResolutionDetails<string>> {
    throw this.#mismatch(this.#definition(this.#instance(), flagKey), 'a string')
  }

  async resolveObjectEvaluation<T extends JsonValue>(flagKey: string): Promise<ResolutionDetails<T>> {
    throw this.#mismatch(this.#definition(this.#instance(), flagKey), 'an object')
  }

  #instance (): PancakeInstance {
    return this.#pancakes.get(this.#name)
  }

  #definition (instance: PancakeInstance, flagKey: string): AnyDefinition {
    const definition = instance.definition(flagKey)
    if (definition === undefined) throw new FlagNotFoundError(`no switch, flag or sample named '${flagKey}' in pancake instance '${this.#name}'`)
    return definition
  }

  #mismatch (definition: AnyDefinition, asked: string): TypeMismatchError {
    const answers = definition instanceof Sample ? 'a boolean (its draw) or a number (its percentage)' : 'a boolean'
    return new TypeMismatchError(`'${definition.name}' is a ${definition.kind}, which answers ${answers}, not ${asked}`)
  }

  /**
   * The instance's evaluation for the ids the context gives; with none, for
   * the current request (or `none`, when given).
   */
  async #evaluate (instance: PancakeInstance, definition: AnyDefinition, context: EvaluationContext, none?: ObjectIds): Promise<Evaluation> {
    try {
      return await instance.evaluate(definition, this.#mapping.ids(instance, context) ?? none)
    } catch (err) {
      if (err instanceof OpenFeatureError) throw err
      if (err instanceof PancakeInvalidContextError || err instanceof PancakeInvalidGroupError) throw new InvalidContextError((err as Error).message)
      // The SDK reports an error's own code: give it one of OpenFeature's.
      throw new GeneralError((err as Error).message)
    }
  }

  /** Turns the instance's change and health events into provider events. */
  #follow (): void {
    if (this.#unfollow !== undefined) return
    const changed = (change: PancakeChange): void => {
      if (change.instance === this.#name) this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: [change.name] })
    }
    const health = (event: PancakeHealth): void => {
      if (event.instance !== this.#name) return
      if (event.available) this.events.emit(ProviderEvents.Ready)
      // Answers keep coming, from the last values known: stale, not failed.
      else this.events.emit(ProviderEvents.Stale, { message: `the store of pancake instance '${this.#name}' is not answering: ${event.error?.message ?? 'unknown error'}` })
    }
    this.#pancakes.on('change', changed).on('health', health)
    this.#unfollow = () => {
      this.#pancakes.off('change', changed).off('health', health)
    }
  }
}
