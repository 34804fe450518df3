import { Writable } from 'node:stream'
import cookie from '@fastify/cookie'
import Fastify from 'fastify'
import pancake from '../../dist/index.mjs'

export const SECRET = 'a-secret-with-at-least-32-characters!!'

// A check waits at most `readTimeout` (50 ms by default) for Redis before it
// answers with the default. A busy CI machine can take that long, and the
// tests are about what a check answers, not how fast: they give Redis more
// time unless they set the option themselves.
const PATIENT = { readTimeout: 1000 }

/**
 * A Fastify app with @fastify/cookie (signed) and one or more pancake
 * registrations. `setup(app)` runs after registration, before ready().
 */
export async function buildApp (registrations = [{}], setup = () => {}, fastifyOptions = {}) {
  const app = Fastify({ logger: false, ...fastifyOptions })
  await app.register(cookie, { secret: SECRET })
  for (const options of registrations) {
    const plain = options !== null && typeof options === 'object' && !Array.isArray(options)
    await app.register(pancake, plain ? { ...PATIENT, ...options } : options)
  }
  await setup(app)
  await app.ready()
  return app
}

/** Parses a Set-Cookie header into { name: value } for the next request. */
export function cookiesOf (response) {
  const jar = {}
  for (const { name, value } of response.cookies) jar[name] = value
  return jar
}

let named = 0
/** A definition name no other test uses, so the registry never mixes tests. */
export const uniqueName = (base) => `${base}_${++named}`

/** A logger for an app that keeps its lines, parsed, in `lines`. */
export function captureLogs (level = 'info') {
  const lines = []
  const stream = new Writable({
    write (chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()))
      done()
    }
  })
  return { lines, logger: { level, stream } }
}
