import { createHash } from 'node:crypto'
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest, FastifySchema } from 'fastify'
import fp from 'fastify-plugin'
import type { AnyDefinition } from '../definitions.js'
import { PancakeInvalidContextError, PancakeInvalidGroupError, PancakeInvalidOptionError, PancakeRoutesWithoutPluginError } from '../errors.js'
import type { EvaluationContext as ObjectIds } from '../evaluation.js'
import { normalizeObjectId } from '../groups.js'
import type { PancakeInstance } from '../instance.js'
import { ContextMapping, type ContextMappingOptions, type OpenFeatureContext } from '../openfeature/context.js'
import { flagMetadata, openFeatureReason, variantOf } from '../openfeature/details.js'
import { DEFAULT_INSTANCE } from '../registry.js'
import {
  OfrepBulkEvaluationFailureSchema,
  OfrepBulkEvaluationSuccessSchema,
  OfrepEvaluationFailureSchema,
  OfrepEvaluationRequestSchema,
  OfrepEvaluationSuccessSchema,
  OfrepFlagNotFoundSchema,
  OfrepGeneralErrorSchema,
  OfrepKeyParamsSchema,
  type OfrepBulkEvaluationSuccess,
  type OfrepEvaluationFailure,
  type OfrepEvaluationRequest,
  type OfrepEvaluationSuccess
} from './ofrepSchemas.js'
import { nosniff } from './index.js'
import { checkHook, isObject, routeHooks, type PancakeRouteHooks } from './options.js'
import { sortedByName } from './sorted.js'

export interface PancakeOfrepOptions extends PancakeRouteHooks, ContextMappingOptions {
  /** The pancake instance whose switches, flags and samples are served (default `pancake`). */
  instance?: string
  /**
   * Attributes of the body's context used as the caller gives them, over
   * the request's own identity: e.g. `['country']` for a group the browser
   * may choose. By default none: only the request's group functions say
   * who is asking, so no caller reads another's flags.
   */
  trustedAttributes?: readonly string[]
  /**
   * Use every attribute of the body's context, `targetingKey` included:
   * for servers evaluating for their users, behind an authorization hook.
   */
  trustClientContext?: boolean
}

const OPTIONS = ['instance', 'trustedAttributes', 'trustClientContext', 'onRequest', 'preHandler', ...ContextMapping.options]
// Fastify's own register options, handed to every plugin.
const REGISTER_KEYS = ['prefix', 'logLevel', 'logSerializers']
// Answers for one caller at one moment: no shared cache may keep them.
const NO_STORE = 'private, no-store'
const JSON_TYPE = 'application/json; charset=utf-8'

interface KeyParams { key: string }

function validate (options: unknown): asserts options is PancakeOfrepOptions {
  if (!isObject(options)) throw new PancakeInvalidOptionError('options', 'must be an object')
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key) && !REGISTER_KEYS.includes(key)) {
      throw new PancakeInvalidOptionError(key, `is not an option of pancakeOfrep (known: ${OPTIONS.join(', ')})`)
    }
  }
  const { instance, trustedAttributes, trustClientContext } = options
  if (instance !== undefined && (typeof instance !== 'string' || instance === '')) {
    throw new PancakeInvalidOptionError('instance', 'must be the name of a pancake instance')
  }
  if (trustedAttributes !== undefined &&
      (!Array.isArray(trustedAttributes) || trustedAttributes.some((name) => typeof name !== 'string' || name === ''))) {
    throw new PancakeInvalidOptionError('trustedAttributes', 'must be an array of context attribute names')
  }
  if (trustClientContext !== undefined && typeof trustClientContext !== 'boolean') {
    throw new PancakeInvalidOptionError('trustClientContext', `must be true or false, got ${JSON.stringify(trustClientContext)}`)
  }
  checkHook('onRequest', options.onRequest)
  checkHook('preHandler', options.preHandler)
}

/** Whether an `If-None-Match` header names `etag` (weakly: `W/` ignored). */
function matches (header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return header.split(',').some((tag) => {
    const trimmed = tag.trim()
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag
  })
}

/**
 * The bulk answer's entity tag: a digest of the object ids it was
 * evaluated for and of the answer itself (`body`, every flag's value and
 * reason), so it changes with the state that caller sees, and differs
 * between callers given different ids.
 */
function entityTag (ids: ObjectIds | undefined, body: string): string {
  const digest = createHash('sha256').update(ids === undefined ? '' : JSON.stringify(ids)).update('\n').update(body).digest('base64url')
  return `"${digest.slice(0, 27)}"`
}

// `summary` is read by OpenAPI generators such as @fastify/swagger.
function described (summary: string, schema: FastifySchema): FastifySchema & { summary: string } {
  return { summary, ...schema }
}

function failure (key: string, err: unknown): OfrepEvaluationFailure {
  const invalid = err instanceof PancakeInvalidContextError || err instanceof PancakeInvalidGroupError
  return { key, errorCode: invalid ? 'INVALID_CONTEXT' : 'GENERAL', errorDetails: (err as Error).message }
}

const plugin: FastifyPluginAsync<PancakeOfrepOptions> = async (fastify, options) => {
  validate(options)
  if (!fastify.hasDecorator('pancakes')) throw new PancakeRoutesWithoutPluginError()
  const pancakes = fastify.pancakes
  const name = options.instance ?? DEFAULT_INSTANCE
  const mapping = new ContextMapping(options)
  const trusted = new Set(options.trustedAttributes ?? [])
  const trustsAll = options.trustClientContext === true
  const use = (attribute: string): boolean => trustsAll || trusted.has(attribute)
  const readsBody = trustsAll || trusted.size > 0
  fastify.addHook('onSend', nosniff)
  // Instances may be registered after the routes: check once all are in.
  fastify.addHook('onReady', async () => {
    if (!pancakes.has(name)) {
      throw new PancakeInvalidOptionError('instance', `names '${name}', which is not a registered pancake instance (registered: ${pancakes.names().join(', ')})`)
    }
    mapping.check(pancakes.get(name))
  })

  /**
   * The object ids to evaluate for: undefined for the request's own (its
   * group functions, in its scope, as `isActive()`); else those, with the
   * body's trusted attributes over them.
   */
  async function idsFor (request: FastifyRequest<{ Body: OfrepEvaluationRequest }>, instance: PancakeInstance): Promise<ObjectIds | undefined> {
    if (!readsBody) return undefined
    const given = mapping.ids(instance, request.body.context as OpenFeatureContext, use)
    if (given === undefined) return undefined
    const own: Record<string, string | number | null | undefined> = {}
    for (const group of instance.groups) own[group.name] = normalizeObjectId(await group.objectId(request))
    return { ...own, ...given }
  }

  async function evaluate (instance: PancakeInstance, definition: AnyDefinition, ids: ObjectIds | undefined): Promise<OfrepEvaluationSuccess> {
    const evaluation = await instance.evaluate(definition, ids)
    const reason = openFeatureReason(evaluation.reason)
    return {
      key: definition.name,
      value: evaluation.value,
      // The protocol's reasons have no DEFAULT: a default is a static value.
      reason: reason === 'DEFAULT' ? 'STATIC' : reason,
      variant: variantOf(evaluation.value),
      metadata: flagMetadata(instance.name, evaluation)
    }
  }

  // Every error in the protocol's shape, as JSON.
  fastify.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const invalid = error instanceof PancakeInvalidContextError || error instanceof PancakeInvalidGroupError
    const status = invalid ? 400 : typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500
    reply.code(status).type(JSON_TYPE).header('cache-control', NO_STORE)
    const key = (request.params as Partial<KeyParams> | undefined)?.key
    if (status === 400) {
      const errorCode = error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'PARSE_ERROR' : 'INVALID_CONTEXT'
      return key === undefined ? { errorCode, errorDetails: error.message } : { key, errorCode, errorDetails: error.message }
    }
    if (status >= 500) {
      request.log.error({ err: error }, 'fastify-pancake: an OFREP evaluation failed')
      return { errorDetails: 'The flags could not be evaluated.' }
    }
    return { errorDetails: error.message }
  })

  const errors = {
    401: { ...OfrepGeneralErrorSchema, description: 'An authorization hook refused the request.' },
    403: { ...OfrepGeneralErrorSchema, description: 'An authorization hook refused the request.' },
    500: { ...OfrepGeneralErrorSchema, description: 'The flags could not be evaluated.' }
  }

  fastify.route<{ Body: OfrepEvaluationRequest }>({
    method: 'POST',
    url: '/ofrep/v1/evaluate/flags',
    schema: described('OFREP bulk evaluation: every switch, flag and sample of the instance, for the caller.', {
      body: OfrepEvaluationRequestSchema,
      response: {
        200: { ...OfrepBulkEvaluationSuccessSchema, description: 'Every flag, evaluated. The ETag header names this answer.' },
        304: { type: 'null', description: 'Nothing changed since the answer If-None-Match names.' },
        400: { ...OfrepBulkEvaluationFailureSchema, description: 'The body or its context is invalid.' },
        ...errors
      }
    }),
    ...routeHooks(options),
    handler: async (request, reply) => {
      const instance = pancakes.get(name)
      const ids = await idsFor(request, instance)
      const definitions: AnyDefinition[] = [...sortedByName(instance.switches), ...sortedByName(instance.flags), ...sortedByName(instance.samples)]
      // Side by side: each check is remembered for the request, and group
      // functions still run once.
      const flags = await Promise.all(definitions.map(async (definition) => {
        try {
          return await evaluate(instance, definition, ids)
        } catch (err) {
          return failure(definition.name, err)
        }
      }))
      const answer: OfrepBulkEvaluationSuccess = { flags, metadata: { instance: instance.name } }
      // Serialized once, for the tag and the body: the schema documents it.
      const body = JSON.stringify(answer)
      const etag = entityTag(ids, body)
      reply.header('etag', etag).header('cache-control', NO_STORE)
      if (matches(request.headers['if-none-match'], etag)) return await reply.code(304).send()
      return await reply.type(JSON_TYPE).send(body)
    }
  })

  fastify.route<{ Body: OfrepEvaluationRequest, Params: KeyParams }>({
    method: 'POST',
    url: '/ofrep/v1/evaluate/flags/:key',
    schema: described('OFREP evaluation of one switch, flag or sample, for the caller.', {
      params: OfrepKeyParamsSchema,
      body: OfrepEvaluationRequestSchema,
      response: {
        200: { ...OfrepEvaluationSuccessSchema, description: 'The flag, evaluated.' },
        400: { ...OfrepEvaluationFailureSchema, description: 'The body or its context is invalid.' },
        404: { ...OfrepFlagNotFoundSchema, description: 'The instance has no switch, flag or sample of that name.' },
        ...errors
      }
    }),
    ...routeHooks(options),
    handler: async (request, reply) => {
      const instance = pancakes.get(name)
      const { key } = request.params
      reply.header('cache-control', NO_STORE).type(JSON_TYPE)
      const definition = instance.definition(key)
      if (definition === undefined) {
        return await reply.code(404).send({ key, errorCode: 'FLAG_NOT_FOUND', errorDetails: `No switch, flag or sample named '${key}'.` })
      }
      try {
        return await evaluate(instance, definition, await idsFor(request, instance))
      } catch (err) {
        const failed = failure(key, err)
        if (failed.errorCode === 'GENERAL') throw err
        return await reply.code(400).send(failed)
      }
    }
  })
}

/**
 * The OpenFeature Remote Evaluation Protocol's routes, `POST
 * /ofrep/v1/evaluate/flags` (bulk) and `POST /ofrep/v1/evaluate/flags/:key`,
 * under the prefix it is registered with: an OFREP provider's base URL is
 * that prefix. Register it after fastify-pancake.
 */
export const pancakeOfrep = fp(plugin, {
  fastify: '5.x',
  name: 'fastify-pancake-ofrep',
  encapsulate: true
})
