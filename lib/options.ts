import type { CookieSerializeOptions } from '@fastify/cookie'
import { PancakeInvalidOptionError } from './errors.js'
import type { GroupFuncSource } from './groups.js'
import type { RedisClient } from './store/RedisStore.js'
import type { PancakeStore } from './store/store.js'

export interface FastifyPancakeOptions {
  /**
   * The instance name (default `pancake`): the `EXT` of every key, the
   * default cookie name, and what definitions name as their instance.
   */
  name?: string
  /**
   * Group functions in the order a flag check walks them, e.g.
   * `{ user: (request) => request.user?.id, superuser: IsSuperuser }`.
   */
  groupFuncs?: Record<string, GroupFuncSource>
  /**
   * The Redis to use: an ioredis client (never closed by the plugin), a
   * `redis://` URL (a client the plugin creates and closes), or `false` for
   * the memory store. By default, `app.redis` from @fastify/redis when it is
   * registered, else the memory store.
   */
  redis?: RedisClient | string | false
  /** A custom store; excludes `redis`. */
  store?: PancakeStore
  /** The sample cookie's name (default: the instance name). */
  cookieName?: string
  /**
   * Passed to `reply.setCookie` for the sample cookie, over the defaults
   * `{ httpOnly: true, sameSite: 'lax', path: '/' }`; it is always signed.
   */
  cookieOptions?: CookieSerializeOptions
  /** The source of sample draws: a number in [0, 1) (default `Math.random`). */
  random?: () => number
  /**
   * The near-cache in front of Redis (or a custom store). `true` (default):
   * checks answer from memory, kept fresh by change announcements and a
   * periodic re-read. `false`: every check reads the store (batched, still
   * failing safe), for read-your-writes across instances. An object tunes it.
   * Ignored by the memory store.
   */
  cache?: boolean | CacheOptions
  /**
   * How late, at most, a change by a program that does not announce it
   * (redis-cli, flask-pancake) is seen, in ms: definition values are re-read
   * this often (default 1000).
   */
  staleness?: number
  /** The longest a check waits for the store before answering from memory, in ms (default 50). */
  readTimeout?: number
  /** The longest a write waits for the store before failing, in ms (default 2000). */
  writeTimeout?: number
  /**
   * The audit trail: every write appends an entry, atomically with it, to
   * `PANCAKE:<name>:audit`. `maxLength`: about how many entries are kept
   * (default 10000; the stream is trimmed with `MAXLEN ~`).
   */
  audit?: AuditOptions
}

export interface AuditOptions {
  /** About how many entries the audit stream keeps (default 10000). */
  maxLength?: number
}

export interface CacheOptions {
  /** How many per-object overrides (or their absence) to hold (default 10000). */
  size?: number
  /** How long a per-object override is trusted without news of a change, in ms (default: `staleness`). */
  ttl?: number
}

const KNOWN = new Set(['name', 'groupFuncs', 'redis', 'store', 'cookieName', 'cookieOptions', 'random', 'cache', 'staleness', 'readTimeout', 'writeTimeout', 'audit'])
const STORE_METHODS = ['read', 'set', 'delete', 'setTracked', 'deleteTracked', 'clearTracked'] as const

function isObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function nonEmptyString (option: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value === '')) {
    throw new PancakeInvalidOptionError(option, `must be a non-empty string, got ${JSON.stringify(value)}`)
  }
}

/** Checks the shape of every option; throws naming the first bad one. */
export function validateOptions (options: unknown): asserts options is FastifyPancakeOptions {
  if (!isObject(options)) throw new PancakeInvalidOptionError('options', 'must be an object')
  for (const key of Object.keys(options)) {
    // `prefix` and friends are Fastify's own register options.
    if (!KNOWN.has(key) && !['prefix', 'logLevel', 'logSerializers'].includes(key)) {
      throw new PancakeInvalidOptionError(key, `is not an option of fastify-pancake (known: ${[...KNOWN].join(', ')})`)
    }
  }
  nonEmptyString('name', options.name)
  // The instance name is a part of every key, which ':' separates.
  if (typeof options.name === 'string' && options.name.includes(':')) {
    throw new PancakeInvalidOptionError('name', `must be a non-empty string without ":", got ${JSON.stringify(options.name)}`)
  }
  nonEmptyString('cookieName', options.cookieName)
  if (options.groupFuncs !== undefined && !isObject(options.groupFuncs)) {
    throw new PancakeInvalidOptionError('groupFuncs', 'must be an object mapping group names to group functions')
  }
  const { redis, store } = options
  if (redis !== undefined && redis !== false && typeof redis !== 'string' &&
      !(isObject(redis) && typeof redis.defineCommand === 'function')) {
    throw new PancakeInvalidOptionError('redis', 'must be an ioredis client, a redis:// URL, or false')
  }
  if (typeof redis === 'string' && !/^rediss?:\/\//.test(redis)) {
    throw new PancakeInvalidOptionError('redis', `must be a redis:// or rediss:// URL, got ${JSON.stringify(redis)}`)
  }
  if (store !== undefined) {
    if (!isObject(store) || STORE_METHODS.some((method) => typeof store[method] !== 'function')) {
      throw new PancakeInvalidOptionError('store', `must implement ${STORE_METHODS.join(', ')}`)
    }
    if (redis !== undefined && redis !== false) {
      throw new PancakeInvalidOptionError('store', 'cannot be combined with "redis"; pick one')
    }
  }
  if (options.cookieOptions !== undefined && !isObject(options.cookieOptions)) {
    throw new PancakeInvalidOptionError('cookieOptions', 'must be an object of reply.setCookie options')
  }
  if (options.random !== undefined && typeof options.random !== 'function') {
    throw new PancakeInvalidOptionError('random', 'must be a function returning a number in [0, 1)')
  }
  const { cache } = options
  if (cache !== undefined && typeof cache !== 'boolean') {
    if (!isObject(cache)) throw new PancakeInvalidOptionError('cache', 'must be true, false or { size, ttl }')
    for (const key of Object.keys(cache)) {
      if (key !== 'size' && key !== 'ttl') throw new PancakeInvalidOptionError(`cache.${key}`, 'is not a cache option (known: size, ttl)')
    }
    positiveInteger('cache.size', cache.size)
    positiveInteger('cache.ttl', cache.ttl)
  }
  const { audit } = options
  if (audit !== undefined) {
    if (!isObject(audit)) throw new PancakeInvalidOptionError('audit', 'must be an object: { maxLength }')
    for (const key of Object.keys(audit)) {
      if (key !== 'maxLength') throw new PancakeInvalidOptionError(`audit.${key}`, 'is not an audit option (known: maxLength)')
    }
    positiveInteger('audit.maxLength', audit.maxLength)
  }
  positiveInteger('staleness', options.staleness)
  positiveInteger('readTimeout', options.readTimeout)
  positiveInteger('writeTimeout', options.writeTimeout)
}

function positiveInteger (option: string, value: unknown): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isSafeInteger(value) && value > 0)) {
    throw new PancakeInvalidOptionError(option, `must be a positive integer, got ${JSON.stringify(value)}`)
  }
}
