import { AsyncLocalStorage } from 'node:async_hooks'
import type { FastifyRequest } from 'fastify'
import { isPromise, type Maybe } from './maybe.js'
import type { Pancakes } from './pancakes.js'

/**
 * What one request (or one `app.pancakes.run()` call) knows while it checks
 * definitions. Everything is created lazily: a request that checks nothing
 * pays for one small object.
 */
export class Scope {
  readonly pancakes: Pancakes
  readonly request: FastifyRequest | undefined
  /** Results of checks already made, by definition key: one store read each. */
  memo: Map<string, Promise<unknown>> | undefined
  /** Object ids returned by group functions, by `instance\0group`. */
  groupIds: Map<string, Maybe<string | undefined>> | undefined
  /**
   * Sample outcomes by instance name, present once a sample of that instance
   * was checked: then the request sends the instance's cookie.
   */
  samples: Map<string, SampleOutcomes> | undefined

  constructor (pancakes: Pancakes, request?: FastifyRequest) {
    this.pancakes = pancakes
    this.request = request
  }

  /**
   * The answer for `key` in this scope: computed once, then the same
   * (settled) promise for every later check. `compute` may answer at once;
   * a synchronous throw becomes a rejection, as from an async function.
   */
  remember<T>(key: string, compute: () => Maybe<T>): Promise<T> {
    const memo = (this.memo ??= new Map())
    const known = memo.get(key) as Promise<T> | undefined
    if (known !== undefined) return known
    let answer: Maybe<T>
    try {
      answer = compute()
    } catch (err) {
      return Promise.reject(err)
    }
    if (!isPromise(answer)) {
      const settled = Promise.resolve(answer)
      memo.set(key, settled)
      return settled
    }
    memo.set(key, answer)
    // A failed read is not an answer: the next check tries again.
    answer.catch(() => { if (memo.get(key) === answer) memo.delete(key) })
    return answer
  }

  forget (key: string): void {
    this.memo?.delete(key)
  }
}

/** The sample outcomes of one instance in one request, by sample name. */
export type SampleOutcomes = Record<string, boolean>

export const storage = new AsyncLocalStorage<Scope>()
