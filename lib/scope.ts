import type { FastifyReply, FastifyRequest } from 'fastify'
import type { WriteOrigin } from './audit.js'
import type { Group } from './groups.js'
import { isPromise, type Maybe } from './maybe.js'
import type { SampleOutcomes } from './sampleCookie.js'

/** The current request's object id in each group of an instance, in order. */
export type ObjectIds = ReadonlyArray<readonly [group: string, id: string | undefined]>

// Every check answers true or false; a settled answer is one of these two
// promises, shared by every request (awaiting a settled promise runs the
// continuation in the awaiting request's context, whoever made the promise).
const TRUE = Promise.resolve(true)
const FALSE = Promise.resolve(false)

/** The instances of an app, by name: what a scope's checks are answered by. */
export interface Instances<E> {
  get: (name: string) => E
  has: (name: string) => boolean
}

/**
 * What one request (or one `app.pancakes.run()` call) knows while it checks
 * definitions. Everything is created lazily: a request that checks nothing
 * pays for one small object.
 */
export class Scope<E = unknown> {
  /** The app's instances (`app.pancakes`). */
  readonly pancakes: Instances<E>
  readonly request: FastifyRequest | undefined
  /** Where the sample cookie goes. */
  readonly reply: FastifyReply | undefined
  /** Who the writes of this scope are audited as; unset: the app's own code. */
  origin: WriteOrigin | undefined
  /** Answers of checks already made, by definition key: one store read each. */
  memo: Map<string, Promise<boolean>> | undefined
  /** Object ids returned by group functions, by group. */
  groupIds: Map<Group, Maybe<string | undefined>> | undefined
  /** The object ids of every group, by instance name. */
  objectIds: Map<string, Maybe<ObjectIds>> | undefined
  /**
   * Raw values this request read from a store, by key: what one batched
   * read brought for later checks of the same request.
   */
  values: Map<string, string | null> | undefined
  /** How many writes this request made: a read that began before one is not kept in `values`. */
  writes = 0
  /** Group functions are running for a batched read (one may check a definition). */
  computingIds = false
  /**
   * Sample outcomes by instance name, present once a sample of that instance
   * was checked: then the reply carries the instance's cookie.
   */
  samples: Map<string, SampleOutcomes> | undefined
  #route: string | null | undefined
  #now = 0

  constructor (pancakes: Instances<E>, request?: FastifyRequest, reply?: FastifyReply, origin?: WriteOrigin) {
    this.pancakes = pancakes
    this.request = request
    this.reply = reply
    this.origin = origin
  }

  /**
   * The request's route (`GET /users/:id`), under which instances learn
   * what requests check; null outside a request or for an unknown URL.
   */
  get route (): string | null {
    if (this.#route === undefined) {
      const url = this.request?.routeOptions.url
      this.#route = url === undefined || this.request === undefined ? null : `${this.request.method} ${url}`
    }
    return this.#route
  }

  /**
   * The time by which checks judge whether what memory holds is still
   * fresh: read once per request, since reading the clock can cost more
   * than a check answered from memory (a request's answers hold for the
   * whole request anyway). Outside a request, read each time: an
   * `app.pancakes.run()` may last.
   */
  now (): number {
    if (this.request === undefined) return Date.now()
    if (this.#now === 0) this.#now = Date.now()
    return this.#now
  }

  /**
   * Keeps `answer` as the answer for `key` in this scope and returns it as a
   * promise: a settled one when the answer is already known. A failed
   * answer is not kept: the next check tries again.
   */
  settle (key: string, answer: Maybe<boolean>): Promise<boolean> {
    const memo = (this.memo ??= new Map())
    if (!isPromise(answer)) {
      const settled = answer ? TRUE : FALSE
      memo.set(key, settled)
      return settled
    }
    memo.set(key, answer)
    answer.catch(() => { if (memo.get(key) === answer) memo.delete(key) })
    return answer
  }

  /** After a write: the definition answers afresh, and nothing read before is reused. */
  forget (key: string): void {
    this.memo?.delete(key)
    this.values = undefined
    this.writes++
  }
}
