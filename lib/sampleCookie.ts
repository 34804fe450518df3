import type { CookieSerializeOptions, SerializeOptions } from '@fastify/cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * One request's sample outcomes for one instance, by sample name, and the
 * `Set-Cookie` value its reply carries for them (once one was set).
 */
export class SampleOutcomes extends Map<string, boolean> {
  sent: string | undefined = undefined
}

/** What the cookie functions of @fastify/cookie give an instance. */
export interface CookieFunctions {
  sign: (value: string) => string
  unsign: (value: string) => { valid: boolean, value: string | null }
  serialize: (name: string, value: string, options: SerializeOptions) => string
}

// Both memos are cleared when full: a few samples have few combinations of
// outcomes, so in practice they hold every value a server sees.
const MAX_HEADERS = 256
const MAX_READ = 1024
const NOTHING: ReadonlyArray<readonly [string, boolean]> = []

/**
 * An instance's signed sample cookie: `{"ODDS":true}`, signed with
 * @fastify/cookie's secret. Signing, verifying and serialising are HMACs
 * and string work; each is done once per distinct value, not per request.
 */
export class SampleCookie {
  readonly name: string
  /** Options of reply.setCookie: those given, over HttpOnly, SameSite=Lax, Path=/. */
  readonly options: Readonly<CookieSerializeOptions>
  /** The same for serialising, with `secure` resolved except for 'auto'. */
  readonly #serialize: SerializeOptions
  readonly #auto: boolean
  readonly #functions: CookieFunctions
  /** Set-Cookie values by outcome JSON (prefixed by '1' when `secure: 'auto'` made it Secure). */
  readonly #headers = new Map<string, string>()
  /** What a cookie value a browser sent reads as, by that value: its outcomes, or none when not valid. */
  readonly #read = new Map<string, ReadonlyArray<readonly [string, boolean]>>()

  /** Whether the instance defines a sample of that name: only those outcomes are kept. */
  readonly #known: (name: string) => boolean

  /**
   * @param known whether the instance defines a sample of a name: a cookie's
   *   other names (however validly signed) are dropped, so they never grow
   *   the reply that sends the cookie back.
   */
  constructor (name: string, options: Readonly<CookieSerializeOptions>, functions: CookieFunctions, known: (name: string) => boolean) {
    this.name = name
    this.#known = known
    this.options = options
    // What reply.setCookie would do with them: SameSite=Lax unless told
    // otherwise, an integer `expires` as a time; the value is signed here.
    const { signed: _signed, secure, expires, ...rest } = options
    this.#auto = secure === 'auto'
    this.#serialize = { sameSite: 'lax', ...rest, secure: secure === true }
    if (expires !== undefined) this.#serialize.expires = typeof expires === 'number' ? new Date(expires) : expires
    this.#functions = functions
  }

  /**
   * The outcomes a browser brought back. Anything missing, unsigned,
   * tampered with or malformed reads as no outcomes, so they are drawn
   * afresh. Only outcomes of samples the instance defines are kept (and
   * remembered). A cookie value is verified once, then remembered.
   */
  read (request: FastifyRequest | undefined): SampleOutcomes {
    const outcomes = new SampleOutcomes()
    const raw = request?.cookies?.[this.name]
    if (typeof raw !== 'string') return outcomes
    let entries = this.#read.get(raw)
    if (entries === undefined) {
      entries = this.#parse(raw)
      if (this.#read.size >= MAX_READ) this.#read.clear()
      this.#read.set(raw, entries)
    }
    for (const [name, outcome] of entries) outcomes.set(name, outcome)
    return outcomes
  }

  #parse (raw: string): ReadonlyArray<readonly [string, boolean]> {
    let parsed: unknown
    try {
      const unsigned = this.#functions.unsign(raw)
      if (!unsigned.valid || unsigned.value === null) return NOTHING
      parsed = JSON.parse(unsigned.value)
    } catch {
      return NOTHING
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return NOTHING
    const entries: Array<readonly [string, boolean]> = []
    for (const [name, outcome] of Object.entries(parsed)) {
      if (typeof outcome === 'boolean' && this.#known(name)) entries.push([name, outcome])
    }
    return entries
  }

  /**
   * Puts the outcomes on the reply: one `Set-Cookie` for this cookie per
   * response, replacing the one set for earlier outcomes of the request.
   */
  write (reply: FastifyReply, outcomes: SampleOutcomes): void {
    if (outcomes.size === 0) return
    const header = this.#header(outcomes, this.#auto && reply.request.protocol === 'https')
    const sent = outcomes.sent
    if (header === sent) return
    outcomes.sent = header
    if (sent === undefined) {
      reply.header('set-cookie', header)
      return
    }
    // Fastify adds to `set-cookie` rather than replacing it: swap ours.
    const current = reply.getHeader('set-cookie')
    reply.removeHeader('set-cookie')
    if (Array.isArray(current)) reply.header('set-cookie', current.map((value) => value === sent ? header : value))
    else reply.header('set-cookie', current === sent || current === undefined ? header : [String(current), header])
  }

  #header (outcomes: SampleOutcomes, https: boolean): string {
    // The JSON of an object of the outcomes, written out: cheaper than
    // building that object to stringify it.
    let value = ''
    for (const [name, outcome] of outcomes) value += `${value === '' ? '{' : ','}${JSON.stringify(name)}:${outcome}`
    value += '}'
    const key = https ? `1${value}` : value
    let header = this.#headers.get(key)
    if (header === undefined) {
      const options = https ? { ...this.#serialize, secure: true } : this.#serialize
      header = this.#functions.serialize(this.name, this.#functions.sign(value), options)
      if (this.#headers.size >= MAX_HEADERS) this.#headers.clear()
      this.#headers.set(key, header)
    }
    return header
  }
}

/**
 * Whether the cookie outlives the browser session (`maxAge` or `expires`).
 * Then, as flask-pancake does, every answer to a request that brought it
 * sends it again: a browser in use keeps its outcomes instead of seeing
 * the cookie expire and the samples drawn afresh. A session cookie lives
 * as long as the browser anyway, and is sent only when a sample is checked.
 */
export function renewsSampleCookie (options: Readonly<CookieSerializeOptions>): boolean {
  return options.maxAge !== undefined || options.expires !== undefined
}
