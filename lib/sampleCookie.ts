import type { CookieSerializeOptions } from '@fastify/cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { SampleOutcomes } from './scope.js'

/** What writing an instance's sample cookie needs of it. */
export interface SampleCookieSettings {
  readonly cookieName: string
  readonly cookieOptions: Readonly<CookieSerializeOptions>
  /** The signed form of a value, signed once per value. */
  signedCookie: (value: string, sign: (value: string) => string) => string
}

/**
 * The sample outcomes a browser brought back: `{"ODDS": true}`, signed with
 * @fastify/cookie's secret. Anything missing, unsigned, tampered with or
 * malformed reads as no outcomes, so they are drawn afresh.
 */
export function readSampleCookie (request: FastifyRequest | undefined, cookieName: string): SampleOutcomes {
  const values: SampleOutcomes = new Map()
  const raw = request?.cookies?.[cookieName]
  if (request === undefined || typeof raw !== 'string') return values
  let parsed: unknown
  try {
    const unsigned = request.unsignCookie(raw)
    if (!unsigned.valid || unsigned.value === null) return values
    parsed = JSON.parse(unsigned.value)
  } catch {
    return values
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return values
  for (const [name, outcome] of Object.entries(parsed)) {
    if (typeof outcome === 'boolean') values.set(name, outcome)
  }
  return values
}

/** Sends the outcomes of a request that checked a sample of this instance. */
export function writeSampleCookie (reply: FastifyReply, pancake: SampleCookieSettings, outcomes: SampleOutcomes): void {
  if (outcomes.size === 0) return
  // The JSON of an object of the outcomes, written out: cheaper than
  // building that object to stringify it.
  let value = ''
  for (const [name, outcome] of outcomes) value += `${value === '' ? '{' : ','}${JSON.stringify(name)}:${outcome}`
  value += '}'
  reply.setCookie(pancake.cookieName, pancake.signedCookie(value, (unsigned) => reply.signCookie(unsigned)), pancake.cookieOptions)
}
