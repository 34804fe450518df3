import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifySchema, onRequestAsyncHookHandler, onSendHookHandler, preSerializationHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import {
  PancakeInstanceNotFoundError,
  PancakeInvalidOptionError,
  PancakeOverviewLockedError,
  PancakeRoutesWithoutPluginError
} from '../errors.js'
import type { PancakeInstance } from '../instance.js'
import { DEFAULT_INSTANCE } from '../registry.js'
import { prefersHtml } from './accept.js'
import { consoleModel, type ConsoleQuery } from './console.js'
import { renderConsole } from './html.js'
import { CONSOLE_SCRIPT } from './script.js'
import { routeHooks, validateRoutesOptions, type PancakeOverviewRouteOptions, type PancakeRouteHooks, type PancakeRoutesOptions, type PancakeStatusRouteOptions, type PancakeWriteRouteOptions } from './options.js'
import { pancakeOverview } from './overview.js'
import {
  ChangeRequestSchema,
  ChangeResultSchema,
  ConsoleQuerySchema,
  ErrorResponseSchema,
  HistoryQuerySchema,
  HistorySchema,
  OverridesPageSchema,
  OverridesQuerySchema,
  OverviewSchema,
  PancakeParamsSchema,
  StatusSchema,
  type PancakeChangeRequest,
  type PancakeHistoryQuery,
  type PancakeOverridesQuery
} from './schemas.js'
import { actorOf, applyChange, overridesPage, refuseCrossSite, writesLocked } from './write.js'
import { pancakeStatus } from './status.js'

// Both routes answer for one caller at one moment: no shared cache may keep
// them, or one user's status (or the protected overview) reaches another.
const NO_STORE = 'private, no-store'
// The console runs only the script the routes serve, talks only to its own
// origin, and cannot be framed: a second line of defence behind the
// escaping and the CSRF checks.
const HTML_CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

interface Params { pancake?: string }

type Resolve = (name: string | undefined) => PancakeInstance

/** Adds to `Vary` rather than replacing what another plugin (CORS) put there. */
function vary (reply: FastifyReply, field: string): void {
  const current = reply.getHeader('vary')
  reply.header('vary', current === undefined ? field : `${String(current)}, ${field}`)
}

/**
 * Finds the instance a request names (or the default one) among those the
 * routes serve; anything else is a 404 that does not list the instances.
 */
function resolver (fastify: FastifyInstance, route: string, instances: readonly string[] | undefined): Resolve {
  const pancakes = fastify.pancakes
  if (instances !== undefined) {
    // Instances may be registered after the routes: check once all are in.
    fastify.addHook('onReady', async () => {
      const missing = instances.find((name) => !pancakes.has(name))
      if (missing !== undefined) {
        throw new PancakeInvalidOptionError(`${route}.instances`, `names '${missing}', which is not a registered pancake instance (registered: ${pancakes.names().join(', ')})`)
      }
    })
  }
  const served = instances === undefined ? undefined : new Set(instances)
  return (name = DEFAULT_INSTANCE) => {
    if ((served === undefined || served.has(name)) && pancakes.has(name)) return pancakes.get(name)
    throw new PancakeInstanceNotFoundError(name)
  }
}

// `summary` is read by OpenAPI generators such as @fastify/swagger.
function routeSchema (summary: string, ok: unknown, withParams: boolean, more: FastifySchema = {}, moreErrors: Record<number, string> = {}): FastifySchema & { summary: string } {
  // Descriptions name each answer in an OpenAPI document.
  const errors: Record<number, unknown> = {
    401: { ...ErrorResponseSchema, description: 'An authorization hook refused the request.' },
    403: { ...ErrorResponseSchema, description: 'An authorization hook refused the request, or the route is locked.' },
    404: { ...ErrorResponseSchema, description: 'No such pancake instance (or definition) is served here.' }
  }
  for (const [status, description] of Object.entries(moreErrors)) errors[Number(status)] = { ...ErrorResponseSchema, description }
  return {
    summary,
    ...(withParams ? { params: PancakeParamsSchema } : {}),
    ...more,
    response: { 200: ok, ...errors }
  }
}

const locked: onRequestAsyncHookHandler = async () => {
  throw new PancakeOverviewLockedError()
}

function mountOverview (fastify: FastifyInstance, options: PancakeOverviewRouteOptions, writable: boolean): void {
  const resolve = resolver(fastify, 'overview', options.instances)
  const url = `${fastify.prefix}/overview`
  let guard: PancakeRouteHooks
  if (options.public === true) {
    guard = {}
    fastify.log.warn({ url }, `fastify-pancake: the overview at ${url} is public: anyone who can reach it sees every switch, flag, sample and override. Pass an authorization hook (overview.onRequest or overview.preHandler) to protect it.`)
  } else if (options.onRequest !== undefined || options.preHandler !== undefined) {
    guard = routeHooks(options)
  } else {
    guard = { onRequest: locked }
    fastify.log.info({ url }, `fastify-pancake: the overview at ${url} answers 403 until it gets an authorization hook (overview.onRequest or overview.preHandler) or overview.public`)
  }
  const ok = {
    description: 'Every definition of the instance: JSON, or an HTML page when the client prefers text/html.',
    content: {
      'application/json': { schema: OverviewSchema },
      'text/html': { schema: Type.String() }
    }
  }
  for (const [path, withParams] of [['/overview', false], ['/overview/:pancake', true]] as const) {
    fastify.route<{ Params: Params, Querystring: ConsoleQuery }>({
      method: 'GET',
      url: path,
      schema: routeSchema('Every switch, flag and sample of a pancake instance, with defaults, stored values and group overrides.', ok, withParams, { querystring: ConsoleQuerySchema }),
      ...guard,
      handler: async (request, reply) => {
        const pancake = resolve(request.params.pancake)
        reply.header('cache-control', NO_STORE)
        vary(reply, 'Accept')
        if (!prefersHtml(request.headers.accept)) return await pancakeOverview(pancake)
        const model = await consoleModel(pancake, {
          instances: (options.instances ?? fastify.pancakes.names()).filter((name) => fastify.pancakes.has(name)),
          base: fastify.prefix,
          writable,
          query: request.query
        })
        // A string with its type set goes out as is; the JSON schema is the
        // serializer of application/json only.
        reply.type('text/html; charset=utf-8').header('content-security-policy', HTML_CSP)
        return renderConsole(model)
      }
    })
  }
  const unavailable = { 503: 'The store could not be read.' }
  for (const [path, withParams] of [['/history', false], ['/history/:pancake', true]] as const) {
    fastify.route<{ Params: Params, Querystring: PancakeHistoryQuery }>({
      method: 'GET',
      url: path,
      schema: routeSchema('The audit trail of a pancake instance: who changed what, and when, newest first.', HistorySchema, withParams, { querystring: HistoryQuerySchema }, unavailable),
      ...guard,
      handler: async (request, reply) => {
        const pancake = resolve(request.params.pancake)
        const { name, limit = 50 } = request.query
        reply.header('cache-control', NO_STORE)
        return { entries: await pancake.history(name === undefined ? { limit } : { limit, name }) }
      }
    })
  }
  for (const [path, withParams] of [['/overrides', false], ['/overrides/:pancake', true]] as const) {
    fastify.route<{ Params: Params, Querystring: PancakeOverridesQuery }>({
      method: 'GET',
      url: path,
      schema: routeSchema('One page of the objects that have an override of a flag in a group, from its tracking set.', OverridesPageSchema, withParams, { querystring: OverridesQuerySchema }, { 400: 'No such group.', ...unavailable }),
      ...guard,
      handler: async (request, reply) => {
        const { flag, group, cursor = '0', count = 100 } = request.query
        reply.header('cache-control', NO_STORE)
        return await overridesPage(resolve(request.params.pancake), flag, group, cursor, count)
      }
    })
  }
}

function mountWrite (fastify: FastifyInstance, options: PancakeWriteRouteOptions): void {
  const resolve = resolver(fastify, 'write', options.instances)
  const url = `${fastify.prefix}/changes`
  let guard: PancakeRouteHooks
  if (options.onRequest !== undefined || options.preHandler !== undefined) {
    // The cross-site check comes before the app's own hook.
    guard = { ...routeHooks(options), onRequest: [refuseCrossSite, ...asArray(options.onRequest)] }
  } else {
    guard = { onRequest: writesLocked }
    fastify.log.info({ url }, `fastify-pancake: changes at ${url} answer 403 until they get an authorization hook (write.onRequest or write.preHandler)`)
  }
  for (const [path, withParams] of [['/changes', false], ['/changes/:pancake', true]] as const) {
    fastify.route<{ Params: Params, Body: PancakeChangeRequest }>({
      method: 'POST',
      url: path,
      schema: routeSchema('Changes a switch, flag or sample of a pancake instance; recorded in the audit trail.', ChangeResultSchema, withParams, { body: ChangeRequestSchema }, {
        400: 'The change is not one the routes make, or names an unknown group.',
        415: 'The body is not JSON.',
        503: 'The store could not be written: nothing was changed.'
      }),
      ...guard,
      handler: async (request, reply) => {
        const pancake = resolve(request.params.pancake)
        const actor = await actorOf(options.actor, request, reply)
        reply.header('cache-control', NO_STORE)
        return await applyChange(pancake, request.body, actor)
      }
    })
  }
}

function asArray<T> (value: T | readonly T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? [...value as readonly T[]] : [value as T]
}

function mountStatus (fastify: FastifyInstance, options: PancakeStatusRouteOptions): void {
  const resolve = resolver(fastify, 'status', options.instances)
  for (const [path, withParams] of [['/status', false], ['/status/:pancake', true]] as const) {
    fastify.route<{ Params: Params }>({
      method: 'GET',
      url: path,
      schema: routeSchema('What is active for the current request in a pancake instance.', { ...StatusSchema, description: 'Each definition of the instance and whether it is active for this request.' }, withParams),
      ...routeHooks(options),
      handler: async (request, reply) => {
        // Evaluated in the request's scope: the same answers as the
        // request's other checks, and samples drawn once and sent back in
        // the instance's cookie.
        const status = await pancakeStatus(resolve(request.params.pancake))
        reply.header('cache-control', NO_STORE)
        return status
      }
    })
  }
}

/** The console's script, for the page's CSP: served here, never inline. */
function mountScript (fastify: FastifyInstance): void {
  fastify.route({
    method: 'GET',
    url: '/console.js',
    handler: async (_request, reply) => {
      reply.type('text/javascript; charset=utf-8')
        .header('cache-control', 'no-cache')
      return CONSOLE_SCRIPT
    }
  })
}

// Every answer of these routes, whoever sends it (the handler, a hook of
// the app or of the routes, an error handler), says what it is: no browser
// guesses another type for it.
export const nosniff: onSendHookHandler<unknown> = (_request, reply, payload, done) => {
  reply.header('x-content-type-options', 'nosniff')
  done(null, payload)
}

// The response schemas describe the routes' own answers. Anything else an
// authorization hook (or the app's error handler) sends goes out exactly as
// sent: serialized with a 401 or 403 schema, `{ message: 'nope' }` would
// become a serialization error. Errors the routes throw are serialized by
// Fastify's error handler, which runs no preSerialization hook.
const asSent: preSerializationHookHandler<unknown> = (_request, reply, payload, done) => {
  if (reply.statusCode !== 200) reply.serializer(JSON.stringify)
  done(null, payload)
}

const plugin: FastifyPluginAsync<PancakeRoutesOptions> = async (fastify, options) => {
  validateRoutesOptions(options)
  if (!fastify.hasDecorator('pancakes')) throw new PancakeRoutesWithoutPluginError()
  fastify.addHook('onSend', nosniff)
  fastify.addHook('preSerialization', asSent)
  const write = options.write === false ? undefined : options.write
  const writable = write?.onRequest !== undefined || write?.preHandler !== undefined
  if (options.overview !== false) {
    mountOverview(fastify, options.overview ?? {}, writable)
    mountScript(fastify)
  }
  if (options.status !== false) mountStatus(fastify, options.status ?? {})
  if (options.write !== false) mountWrite(fastify, options.write ?? {})
}

/**
 * The HTTP routes, `GET /overview[/:pancake]` and `GET /status[/:pancake]`,
 * as a plugin of their own so that they mount under any `prefix`:
 * `app.register(pancakeRoutes, { prefix: '/pancakes', overview: { onRequest: auth } })`.
 * Register it after fastify-pancake. It stays encapsulated: its hooks apply
 * to these routes only.
 */
export const pancakeRoutes = fp(plugin, {
  fastify: '5.x',
  name: 'fastify-pancake-routes',
  encapsulate: true
})
