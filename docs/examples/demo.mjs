// The demo app of the README: a route gated by a switch, one by a flag with
// a `user` group, one by a sample. Memory store by default: only the app
// itself (its /demo routes) can flip things. Redis when REDIS_URL is set:
// then redis-cli and the `pancake` CLI can flip things too.
//
//   npm run demo                      # http://127.0.0.1:3000
//   REDIS_URL=redis://127.0.0.1:6379 npm run demo
import cookie from '@fastify/cookie'
import Fastify from 'fastify'
import pancake, { Flag, Sample, Switch, pancakeRoutes } from 'fastify-pancake'

export const HELLO = new Switch('HELLO', false)
export const BETA = new Flag('BETA', false)
export const ODDS = new Sample('ODDS', 50)

export async function buildDemo ({ redisUrl = process.env.REDIS_URL, logger = true } = {}) {
  const app = Fastify({ logger })
  await app.register(cookie, { secret: process.env.COOKIE_SECRET ?? 'demo-only-secret-change-me-in-production' })
  await app.register(pancake, {
    redis: redisUrl ?? false,
    // Who is asking: ?user=alice (a real app reads its session here).
    groupFuncs: { user: (request) => request.query.user }
  })

  // The JSON status for front ends, and the overview for operators, who
  // send `Authorization: Bearer <DEMO_TOKEN>` (default: demo).
  const token = `Bearer ${process.env.DEMO_TOKEN ?? 'demo'}`
  await app.register(pancakeRoutes, {
    prefix: '/pancakes',
    overview: {
      onRequest: async (request) => {
        if (request.headers.authorization !== token) {
          throw Object.assign(new Error('Send Authorization: Bearer <DEMO_TOKEN>'), { statusCode: 401 })
        }
      }
    }
  })

  app.get('/', async (request, reply) => {
    if (await HELLO.isActive()) return { message: 'Hello World!' }
    return reply.code(404).send({ message: 'Not found: the HELLO switch is off' })
  })

  app.get('/beta', async () => ({ beta: await BETA.isActive() }))

  app.get('/odds', async () => ({ inSample: await ODDS.isActive() }))

  // Demo-only admin endpoints, so the memory store can be flipped from curl.
  // A real app protects anything like this, or uses the `pancake` CLI.
  app.post('/demo/hello/:state', async (request) => {
    if (request.params.state === 'on') await HELLO.enable()
    else await HELLO.disable()
    return { HELLO: await HELLO.isActive() }
  })
  app.post('/demo/beta/:user/:state', async (request) => {
    const { user, state } = request.params
    if (state === 'on') await BETA.enableGroup('user', user)
    else await BETA.disableGroup('user', user)
    return { user, BETA: await BETA.isActiveGroup('user', user) }
  })

  return app
}

export default buildDemo

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = await buildDemo()
  await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' })
}
