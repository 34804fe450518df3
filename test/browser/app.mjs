// The app the browser tests and the screenshots drive: the CLI fixture's
// app and definitions on a given Redis, with the console under /ops behind
// a test login (a signed session cookie naming the user).
import { build } from '../fixtures/cli/build.mjs'
import { Flag, Switch, pancakeRoutes } from '../../dist/index.mjs'

export const DARK_MODE = new Switch('DARK_MODE', false, { description: 'The dark theme, for every visitor.' })
export const BIG_BETA = new Flag('BIG_BETA', false, { description: 'A beta with many testers, listed page by page.' })

/** Lets in a request whose signed `session` cookie names a user. */
async function loggedIn (request) {
  const raw = request.cookies.session
  const session = raw === undefined ? undefined : request.unsignCookie(raw)
  if (session?.valid !== true) throw Object.assign(new Error('Log in first'), { statusCode: 401 })
  request.user = session.value
}

/** The fixture app on `redis` with the console, listening on a free port of 127.0.0.1. */
export async function consoleServer (redis) {
  const app = build({ redis })
  app.decorateRequest('user', undefined)
  app.get('/login', async (request, reply) => {
    reply.setCookie('session', request.query.user, { signed: true, httpOnly: true, sameSite: 'lax', path: '/' })
    return reply.redirect('/ops/overview')
  })
  app.register(pancakeRoutes, {
    prefix: '/ops',
    overview: { onRequest: loggedIn },
    write: { onRequest: loggedIn, actor: (request) => request.user }
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address()
  return { app, url: `http://127.0.0.1:${port}` }
}
