import type { AuditEntry, HistoryQuery } from '../audit.js'
import type { Flag, Sample, Switch } from '../definitions.js'
import { PancakeCliStoreUnreachableError, PancakeCliUnknownDefinitionError } from '../errors.js'
import type { PancakeInstance } from '../instance.js'
import { decodeBoolean, decodePercentage, decodeSample, objectKey } from '../keys.js'
import { byName } from '../registry.js'
import { NearCache } from '../store/NearCache.js'
import { RedisStore } from '../store/RedisStore.js'
import type { PancakeStore } from '../store/store.js'
import { within } from '../within.js'
import type { Style } from './style.js'

/** The parts of an ioredis client (single server or cluster) the CLI watches. */
interface RedisConnection {
  status: string
  on: (event: string, listener: (...args: unknown[]) => void) => unknown
  once: (event: string, listener: (...args: unknown[]) => void) => unknown
  off: (event: string, listener: (...args: unknown[]) => void) => unknown
  connect: () => Promise<void>
  disconnect: () => void
  options?: { host?: unknown, port?: unknown }
}

export function isRedisConnection (value: unknown): value is RedisConnection {
  if (value === null || typeof value !== 'object') return false
  const client = value as Record<string, unknown>
  return typeof client.status === 'string' && ['on', 'once', 'off', 'connect', 'disconnect'].every((method) => typeof client[method] === 'function')
}

/** "Is Redis at host:port running and reachable from here?" */
export function reachableHint (client: RedisConnection): string {
  const { host, port } = client.options ?? {}
  const where = typeof host === 'string' && port !== undefined ? ` at ${host}:${String(port)}` : ''
  return `Is Redis${where} running and reachable from here?`
}

// The store behind the near-cache the plugin puts in front of Redis.
function backendOf (instance: PancakeInstance): PancakeStore {
  return instance.store instanceof NearCache ? instance.store.source : instance.store
}

function clientOf (instance: PancakeInstance): RedisConnection | undefined {
  const backend = backendOf(instance)
  return backend instanceof RedisStore && isRedisConnection(backend.client) ? backend.client : undefined
}

/**
 * Listens to the errors of every instance's Redis client, so that one the
 * command does not use, failing to connect, does not print each attempt.
 */
export function quietClients (instances: Iterable<PancakeInstance>): void {
  for (const instance of instances) clientOf(instance)?.on('error', () => {})
}

/**
 * Disconnects the Redis clients that are not connected: closing the app
 * would otherwise wait for them to reconnect, which may never happen.
 */
export function releaseClients (instances: Iterable<PancakeInstance>): void {
  for (const instance of instances) {
    const client = clientOf(instance)
    if (client !== undefined && client.status !== 'ready' && client.status !== 'end') client.disconnect()
  }
}

type Definition = Switch | Flag | Sample

export interface SessionSettings {
  instance: PancakeInstance
  style: Style
  /** The longest any store operation may take, in ms. */
  timeout: number
}

/**
 * What a command works with: one pancake instance of the loaded app, its
 * definitions by name, and store access bounded in time.
 *
 * Reads go to the backing store itself, past the near-cache the plugin puts
 * in front of it: a server may answer from memory when the store is slow,
 * but an operator asking what is stored must get what is stored, or an
 * error. Writes go through the definitions, so the change is announced to
 * every running server as any other write is.
 */
export class Session {
  readonly instance: PancakeInstance
  readonly style: Style
  readonly timeout: number
  readonly #backend: PancakeStore
  readonly #client: RedisConnection | undefined
  #lastError: Error | undefined
  #watching = false

  constructor ({ instance, style, timeout }: SessionSettings) {
    this.instance = instance
    this.style = style
    this.timeout = timeout
    this.#backend = backendOf(instance)
    this.#client = clientOf(instance)
  }

  /** `redis`, `memory`, or a custom store's kind. */
  get storeKind (): string {
    return this.instance.store.kind
  }

  get isMemory (): boolean {
    return this.storeKind === 'memory'
  }

  /**
   * Makes sure a Redis store is connected before anything is read or
   * written: fails on the first connection error, or after the timeout,
   * instead of letting commands queue for a reconnect that may never come.
   */
  async connect (): Promise<void> {
    const client = this.#client
    if (client === undefined) return
    if (!this.#watching) {
      // Kept for the rest of the run: it names the cause in messages, and
      // keeps ioredis from printing each failed reconnect.
      client.on('error', (err) => { this.#lastError = err as Error })
      this.#watching = true
    }
    if (client.status === 'ready') return
    if (client.status === 'end') throw this.#unreachable('the connection is closed')
    await new Promise<void>((resolve, reject) => {
      const finish = (err?: Error): void => {
        clearTimeout(timer)
        client.off('ready', onReady)
        client.off('error', onError)
        client.off('end', onEnd)
        if (err === undefined) resolve()
        else reject(err)
      }
      const onReady = (): void => { finish() }
      const onError = (err: unknown): void => { finish(this.#unreachable((err as Error).message)) }
      const onEnd = (): void => { finish(this.#unreachable('the connection was closed')) }
      const timer = setTimeout(() => { finish(this.#unreachable(`no connection within ${this.timeout} ms`)) }, this.timeout)
      client.once('ready', onReady)
      client.once('error', onError)
      client.once('end', onEnd)
      // A client made with `lazyConnect` waits for its first command.
      if (client.status === 'wait') client.connect().catch(() => {})
    })
  }

  /** The last error the Redis client reported, if any. */
  get lastError (): Error | undefined {
    return this.#lastError
  }

  /**
   * The error to report when the app's ready() ran out of time while this
   * session's Redis client was still connecting; undefined when it was not.
   */
  stillConnecting (): Error | undefined {
    const client = this.#client
    if (client === undefined || client.status === 'ready') return undefined
    return this.#unreachable(`no connection within ${this.timeout} ms`)
  }

  /** Runs one store operation, failing after the timeout. */
  async bounded<T>(what: string, operation: () => Promise<T>): Promise<T> {
    return await within(operation(), this.timeout, () => {
      const last = this.#lastError === undefined ? '' : ` (last error: ${this.#lastError.message})`
      return this.#unreachable(`no answer within ${this.timeout} ms while ${what}${last}`)
    })
  }

  switch (name: string): Switch {
    return this.#find('switch', 'switches', this.instance.switches, name)
  }

  flag (name: string): Flag {
    return this.#find('flag', 'flags', this.instance.flags, name)
  }

  sample (name: string): Sample {
    return this.#find('sample', 'samples', this.instance.samples, name)
  }

  /** Definitions sorted by name, as flask-pancake lists them. */
  sorted<T extends Definition>(definitions: ReadonlyMap<string, T>): T[] {
    return [...definitions.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, definition]) => definition)
  }

  /** Checks a group name against the instance, listing the known ones when it is not. */
  group (name: string): string {
    try {
      this.instance.group(name)
    } catch (err) {
      const known = this.instance.groupIds
      if ((err as { code?: unknown }).code === 'FST_PANCAKE_INVALID_GROUP') {
        (err as Error).message += ` Known groups: ${known.join(', ')}.`
      }
      throw Object.assign(err as Error, { known })
    }
    return name
  }

  /** A switch's or flag's global value, storing the default if there is none. */
  async readToggle (definition: Switch | Flag): Promise<boolean> {
    const [raw] = await this.bounded(`reading ${definition.key}`, async () => await this.#backend.read([[definition.key, definition.storedDefault]], []))
    return this.instance.decode(definition.key, raw ?? null, decodeBoolean) ?? definition.default
  }

  /** A flag's override for one object of a group; `null` when it has none. */
  async readOverride (flag: Flag, group: string, objectId: string): Promise<boolean | null> {
    const key = objectKey(this.instance.name, group, flag.name, objectId)
    const [raw] = await this.bounded(`reading ${key}`, async () => await this.#backend.read([], [key]))
    return this.instance.decode(key, raw ?? null, decodeBoolean) ?? null
  }

  /** A flag's rollouts, by group name; a value that does not parse is no rollout. */
  async readRollouts (flag: Flag): Promise<Record<string, number>> {
    const groups = this.instance.groups
    const keys = flag.rolloutKeys(groups)
    const values = await this.bounded(`reading the rollouts of ${flag.key}`, async () => await this.#backend.read([], keys))
    const rollouts: Record<string, number> = {}
    groups.forEach(({ name }, i) => {
      const percentage = this.instance.decode(keys[i] as string, values[i] ?? null, decodePercentage, 'it reads as no rollout')
      if (percentage !== undefined) rollouts[name] = percentage
    })
    return rollouts
  }

  /** A sample's value, storing the default if there is none. */
  async readSample (sample: Sample): Promise<number> {
    const [raw] = await this.bounded(`reading ${sample.key}`, async () => await this.#backend.read([[sample.key, sample.storedDefault]], []))
    return this.instance.decode(sample.key, raw ?? null, decodeSample) ?? sample.default
  }

  /** The newest audit entries of the instance, read from the store itself. */
  async history (query: HistoryQuery): Promise<AuditEntry[]> {
    const stream = this.instance.auditStream
    return await this.bounded(`reading ${stream}`, async () => await this.#backend.history?.(stream, query) ?? [])
  }

  /** The common head of every `--json` document. */
  head (): { instance: string, store: string } {
    return { instance: this.instance.name, store: this.storeKind }
  }

  #find<T extends Definition>(kind: string, plural: string, definitions: ReadonlyMap<string, T>, name: string): T {
    const found = byName(definitions, name)
    if (found !== undefined) return found
    const known = this.sorted(definitions).map((definition) => definition.name)
    throw Object.assign(
      new PancakeCliUnknownDefinitionError(kind, name, this.instance.name, plural, known.length === 0 ? 'none' : known.join(', ')),
      { known }
    )
  }

  #unreachable (reason: string): Error {
    // Nothing more will be asked of this client: stop it reconnecting, so
    // that closing the app does not wait for it.
    this.#client?.disconnect()
    const hint = this.#client === undefined ? '' : ` ${reachableHint(this.#client)}`
    return new PancakeCliStoreUnreachableError(this.storeKind, this.instance.name, `${reason}.${hint}`)
  }
}
