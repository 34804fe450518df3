import { Writable } from 'node:stream'
import cookie from '@fastify/cookie'
import Fastify from 'fastify'
import pancake from '../../dist/index.mjs'

export const SECRET = 'a-secret-with-at-least-32-characters!!'

/**
 * A Fastify app with @fastify/cookie (signed) and one or more pancake
 * registrations. `setup(app)` runs after registration, before ready().
 */
export async function buildApp (registrations = [{}], setup = () => {}, fastifyOptions = {}) {
  const app = Fastify({ logger: false, ...fastifyOptions })
  await app.register(cookie, { secret: SECRET })
  for (const options of registrations) await app.register(pancake, options)
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
