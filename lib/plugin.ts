import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import { auditOutside, followChanges } from './changes.js'
import { PancakeCookieSecretError, PancakeDuplicateInstanceError, PancakeInvalidOptionError } from './errors.js'
import { storage, type RequestScope } from './engine.js'
import { resolveGroups } from './groups.js'
import { PancakeInstance } from './instance.js'
import { validateOptions, type FastifyPancakeOptions } from './options.js'
import { Pancakes } from './pancakes.js'
import { definitions } from './definitions.js'
import { renewsSampleCookie } from './sampleCookie.js'
import { DEFAULT_INSTANCE } from './registry.js'
import { Scope } from './scope.js'
import { MemoryStore } from './store/MemoryStore.js'
import { NearCache } from './store/NearCache.js'
import { RedisStore, type RedisClient } from './store/RedisStore.js'
import type { PancakeStore } from './store/store.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The pancake instances of this app; `app.pancakes.get(name)`. */
    pancakes: Pancakes
  }
}

const kScope = Symbol('fastify-pancake.scope')

interface ScopedRequest extends FastifyRequest {
  [kScope]?: RequestScope
}

const DEFAULT_COOKIE_OPTIONS = { httpOnly: true, sameSite: 'lax', path: '/' } as const

function pickStore (fastify: FastifyInstance, options: FastifyPancakeOptions): PancakeStore {
  if (options.store !== undefined) return options.store
  const { redis } = options
  if (redis === false) return new MemoryStore()
  // Reconnecting at least this often, a change made while Redis was away is
  // seen within `staleness` of its return.
  const settings = { reconnectDelay: Math.min(options.staleness ?? 1000, 1000) }
  if (typeof redis === 'string') {
    const client = new Redis(redis)
    // Connection errors of a client the plugin made are the plugin's to
    // report: the near-cache warns once per outage, instead of ioredis
    // printing every reconnect attempt.
    client.on('error', () => {})
    return new RedisStore(client, true, settings)
  }
  if (redis !== undefined) return new RedisStore(redis, false, settings)
  if (fastify.hasDecorator('redis')) {
    const shared = (fastify as unknown as { redis: unknown }).redis
    if (typeof (shared as Partial<RedisClient>).defineCommand !== 'function') {
      throw new PancakeInvalidOptionError('redis', 'is needed: @fastify/redis is registered with namespaces, so pass the client to use, e.g. `redis: app.redis.flags`')
    }
    return new RedisStore(shared as RedisClient, false, settings)
  }
  return new MemoryStore()
}

function nearCache (backend: PancakeStore, options: FastifyPancakeOptions, log: FastifyBaseLogger): NearCache {
  const staleness = options.staleness ?? 1000
  const tuning = typeof options.cache === 'object' ? options.cache : {}
  return new NearCache(backend, {
    enabled: options.cache !== false,
    size: tuning.size ?? 10_000,
    ttl: tuning.ttl ?? staleness,
    staleness,
    readTimeout: options.readTimeout ?? 50,
    writeTimeout: options.writeTimeout ?? 2000,
    log
  })
}

// One scope per request, shared by every instance. Entered in onRequest and
// entered again in preValidation, because body parsing can resume the hook
// chain in another async context. The sample cookie needs no hook of its
// own: a check that draws sets it on the reply.
function addRequestScope (fastify: FastifyInstance, pancakes: Pancakes): void {
  fastify.decorateRequest(kScope, undefined)
  fastify.addHook('onRequest', (request: ScopedRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const scope = new Scope(pancakes, request, reply)
    request[kScope] = scope
    storage.run(scope, done)
  })
  fastify.addHook('preValidation', (request: ScopedRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const scope = request[kScope]
    if (scope === undefined) done()
    else storage.run(scope, done)
  })
}

const plugin: FastifyPluginAsync<FastifyPancakeOptions> = async (fastify, options) => {
  validateOptions(options)
  const name = options.name ?? DEFAULT_INSTANCE
  if (!fastify.hasRequestDecorator('unsignCookie')) throw new PancakeCookieSecretError(name)
  // Before anything is created: a store made from a URL would otherwise be
  // left connected, with no onClose hook to quit it.
  if (fastify.hasDecorator('pancakes') && fastify.pancakes.has(name)) throw new PancakeDuplicateInstanceError(name)

  const groups = await resolveGroups(options.groupFuncs ?? {})
  const log = fastify.log.child({ pancake: name })
  const backend = pickStore(fastify, options)
  // The memory store is its own cache; anything else gets one in front.
  const cache = backend instanceof MemoryStore ? undefined : nearCache(backend, options, log)
  const store = cache ?? backend
  const instance = new PancakeInstance({
    name,
    store,
    groups,
    cookieName: options.cookieName ?? name,
    cookieOptions: { ...DEFAULT_COOKIE_OPTIONS, ...options.cookieOptions },
    cookie: {
      sign: (value) => fastify.signCookie(value),
      unsign: (value) => fastify.unsignCookie(value),
      serialize: (cookieName, value, cookieOptions) => fastify.serializeCookie(cookieName, value, cookieOptions)
    },
    random: options.random ?? Math.random,
    log,
    ...(options.audit?.maxLength === undefined ? {} : { auditLength: options.audit.maxLength })
  })

  let pancakes: Pancakes
  if (fastify.hasDecorator('pancakes')) {
    pancakes = fastify.pancakes
  } else {
    pancakes = new Pancakes()
    fastify.decorate('pancakes', pancakes)
    addRequestScope(fastify, pancakes)
  }
  pancakes.add(instance)
  if (renewsSampleCookie(instance.cookieOptions)) {
    // Reading the request's cookie sends it back with the outcomes kept
    // (none: nothing is sent). In preHandler, where the cookie is parsed
    // whichever hook @fastify/cookie parses it in.
    fastify.addHook('preHandler', (request, _reply, done) => {
      const scope = storage.getStore()
      if (scope?.request === request && typeof request.cookies?.[instance.cookieName] === 'string') instance.sampleOutcomes(scope)
      done()
    })
  }
  const unfollow = followChanges(instance, pancakes)
  const unaudit = auditOutside(instance)

  // A sample drawn by a group's object id needs that group.
  fastify.addHook('onReady', async () => {
    for (const sample of instance.samples.values()) {
      if (sample.stickyBy !== undefined) instance.group(sample.stickyBy)
    }
  })
  if (cache !== undefined) {
    // Definitions are made at module level, so all of them exist by now.
    fastify.addHook('onReady', async () => { await cache.start(instance.definitionDefaults(), instance.rolloutKeyList()) })
  }
  fastify.addHook('onClose', async () => {
    unfollow()
    unaudit()
    await store.close?.()
  })
  // At ready rather than now: a tool that loads the app (the CLI) can quiet
  // the logger in between.
  fastify.addHook('onReady', async () => {
    fastify.log.info({ pancake: name, store: store.kind }, `fastify-pancake: instance '${name}' uses the ${store.kind} store`)
    // Made at module level, before any logger exists: the app that uses
    // them says so, in its own log, once.
    for (const { kind, name: defined, earlier, later } of definitions.replaced(name)) {
      fastify.log.warn({ pancake: name, kind, name: defined, earlier, later }, `fastify-pancake: ${kind} '${defined}' of instance '${name}' is defined twice, at ${earlier} and at ${later}; the later definition replaces the earlier`)
    }
    pancakes.started(name)
  })
}

/** The fastify-pancake plugin; register it once per instance name. */
export const fastifyPancake = fp(plugin, {
  fastify: '5.x',
  name: 'fastify-pancake',
  dependencies: ['@fastify/cookie']
})
