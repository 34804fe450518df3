// An ES module app: `import` resolves to the package's .d.mts types.
import cookie from '@fastify/cookie'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import pancake, {
  Flag,
  MemoryStore,
  Sample,
  Switch,
  pancakeRoutes,
  pancakeStatus,
  type FastifyPancakeOptions,
  type PancakeStatus,
  type PancakeStore
} from 'fastify-pancake'

export const CHECKOUT = new Switch('CHECKOUT', false)
export const BETA = new Flag('BETA', false)
export const ODDS = new Sample('ODDS', 10)

const store: PancakeStore = new MemoryStore()
const options: FastifyPancakeOptions = {
  store,
  groupFuncs: {
    user: (request) => {
      const user = request.headers['x-user']
      return typeof user === 'string' ? user : undefined
    }
  },
  cookieOptions: { secure: true },
  cache: { size: 100 }
}

const app = Fastify()
await app.register(cookie, { secret: 'a secret of 32 characters or more' })
await app.register(pancake, options)
await app.register(pancake, { name: 'other', redis: new Redis({ lazyConnect: true }) })
await app.register(pancakeRoutes, { prefix: '/pancakes', overview: { public: true } })

app.get('/', async () => {
  const status: PancakeStatus = await pancakeStatus(app.pancakes.get())
  return { checkout: await CHECKOUT.isActive(), beta: await BETA.isActiveGroup('user', 42), odds: await ODDS.get(), status }
})
