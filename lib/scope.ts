import { AsyncLocalStorage } from 'node:async_hooks'
import type { FastifyRequest } from 'fastify'
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
  groupIds: Map<string, Promise<string | undefined>> | undefined
  /**
   * Sample outcomes by instance name, present once a sample of that instance
   * was checked: then the request sends the instance's cookie.
   */
  samples: Map<string, SampleOutcomes> | undefined

  constructor (pancakes: Pancakes, request?: FastifyRequest) {
    this.pancakes = pancakes
    this.request = request
  }

  remember<T>(key: string, compute: () => Promise<T>): Promise<T> {
    this.memo ??= new Map()
    let value = this.memo.get(key) as Promise<T> | undefined
    if (value === undefined) {
      value = compute()
      this.memo.set(key, value)
      // A failed read is not an answer: the next check tries again.
      value.catch(() => { this.memo?.delete(key) })
    }
    return value
  }

  forget (key: string): void {
    this.memo?.delete(key)
  }
}

/** The sample outcomes of one instance in one request, by sample name. */
export type SampleOutcomes = Record<string, boolean>

export const storage = new AsyncLocalStorage<Scope>()
