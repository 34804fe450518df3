import type { FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify'
import { PancakeInvalidOptionError } from '../errors.js'

/** Route-level hooks, run on these routes only, after the app's own hooks. */
export interface PancakeRouteHooks {
  /** Runs first: the place for an authentication check that needs no body. */
  onRequest?: RouteShorthandOptions['onRequest']
  /** Runs right before the handler, e.g. `app.auth([...])` of @fastify/auth. */
  preHandler?: RouteShorthandOptions['preHandler']
}

export interface PancakeOverviewRouteOptions extends PancakeRouteHooks {
  /**
   * Opens the overview to anyone who can reach it, with no hook; a warning
   * is logged at startup. It shows every definition and override, so prefer
   * an authorization hook. Cannot be combined with a hook.
   */
  public?: boolean
  /** The instances the overview serves (default: every registered one). */
  instances?: readonly string[]
}

export interface PancakeStatusRouteOptions extends PancakeRouteHooks {
  /** The instances the status serves (default: every registered one). */
  instances?: readonly string[]
}

export interface PancakeWriteRouteOptions extends PancakeRouteHooks {
  /**
   * Who a change is recorded as in the audit trail, from the request (the
   * user your write hook let in); default `anonymous`.
   */
  actor?: (request: FastifyRequest, reply: FastifyReply) => string | Promise<string>
  /** The instances that may be changed (default: every registered one). */
  instances?: readonly string[]
}

export interface PancakeRoutesOptions {
  /**
   * `GET /overview[/:pancake]`: every definition and its state. Without an
   * authorization hook (`onRequest`/`preHandler`) or `public: true` it
   * answers 403; `false` leaves the routes out.
   */
  overview?: PancakeOverviewRouteOptions | false
  /**
   * `GET /status[/:pancake]`: what is active for the current request,
   * public by default since it shows callers their own state; `false`
   * leaves the routes out.
   */
  status?: PancakeStatusRouteOptions | false
  /**
   * `POST /changes[/:pancake]`: changes, as the CLI makes them, recorded in
   * the audit trail. Closed (403) until given an authorization hook of its
   * own (`onRequest`/`preHandler`): the overview's hook and its `public`
   * never open it. Cross-site requests and non-JSON bodies are refused.
   * `false` leaves the route out.
   */
  write?: PancakeWriteRouteOptions | false
}

const ROUTE_KEYS = {
  overview: ['public', 'instances', 'onRequest', 'preHandler'],
  status: ['instances', 'onRequest', 'preHandler'],
  write: ['actor', 'instances', 'onRequest', 'preHandler']
} as const
// Fastify's own register options, handed to every plugin.
const REGISTER_KEYS = ['prefix', 'logLevel', 'logSerializers']

/** The hooks given, to spread into a route's options. */
export function routeHooks (options: PancakeRouteHooks): PancakeRouteHooks {
  return {
    ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
    ...(options.preHandler === undefined ? {} : { preHandler: options.preHandler })
  }
}

export function isObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Throws naming `option` unless `value` is absent, a hook, or a non-empty array of hooks. */
export function checkHook (option: string, value: unknown): void {
  if (value === undefined) return
  const hooks = Array.isArray(value) ? value : [value]
  if (hooks.length === 0 || hooks.some((hook) => typeof hook !== 'function')) {
    throw new PancakeInvalidOptionError(option, 'must be a hook function or a non-empty array of hook functions')
  }
}

function checkRoute (route: 'overview' | 'status' | 'write', value: unknown): void {
  if (value === undefined || value === false) return
  if (!isObject(value)) throw new PancakeInvalidOptionError(route, 'must be an object of route options, or false to leave the routes out')
  const known: readonly string[] = ROUTE_KEYS[route]
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new PancakeInvalidOptionError(`${route}.${key}`, `is not an option of the ${route} routes (known: ${known.join(', ')})`)
    }
  }
  checkHook(`${route}.onRequest`, value.onRequest)
  checkHook(`${route}.preHandler`, value.preHandler)
  if (value.actor !== undefined && typeof value.actor !== 'function') {
    throw new PancakeInvalidOptionError(`${route}.actor`, 'must be a function of the request returning who made the change')
  }
  const { instances } = value
  if (instances !== undefined &&
      (!Array.isArray(instances) || instances.some((name) => typeof name !== 'string' || name === ''))) {
    throw new PancakeInvalidOptionError(`${route}.instances`, 'must be an array of pancake instance names')
  }
  if (route === 'overview') {
    if (value.public !== undefined && typeof value.public !== 'boolean') {
      throw new PancakeInvalidOptionError('overview.public', `must be true or false, got ${JSON.stringify(value.public)}`)
    }
    if (value.public === true && (value.onRequest !== undefined || value.preHandler !== undefined)) {
      throw new PancakeInvalidOptionError('overview.public', 'cannot be combined with an authorization hook; pass the hook alone to protect the overview')
    }
  }
}

/** Checks the shape of every option; throws naming the first bad one. */
export function validateRoutesOptions (options: unknown): asserts options is PancakeRoutesOptions {
  if (!isObject(options)) throw new PancakeInvalidOptionError('options', 'must be an object')
  for (const key of Object.keys(options)) {
    if (key !== 'overview' && key !== 'status' && key !== 'write' && !REGISTER_KEYS.includes(key)) {
      throw new PancakeInvalidOptionError(key, 'is not an option of pancakeRoutes (known: overview, status, write)')
    }
  }
  checkRoute('overview', options.overview)
  checkRoute('status', options.status)
  checkRoute('write', options.write)
}
