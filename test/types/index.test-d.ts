import cookie from '@fastify/cookie'
import Fastify, { type FastifyRequest } from 'fastify'
import { Redis } from 'ioredis'
import { expectAssignable, expectError, expectType } from 'tsd'
import pancake, {
  Flag,
  GroupFunc,
  MemoryStore,
  PancakeInstance,
  Pancakes,
  RedisStore,
  type RedisStoreOptions,
  Sample,
  Switch,
  fastifyPancake,
  type FastifyPancakeOptions,
  type PancakeStore
} from '../..'

const app = Fastify()
app.register(cookie, { secret: 'secret' })
app.register(pancake)
app.register(fastifyPancake, { name: 'other', groupFuncs: { user: (request: FastifyRequest) => request.id } })
app.register(pancake, { redis: new Redis(), cookieOptions: { secure: true } })
app.register(pancake, { redis: 'redis://127.0.0.1:6379' })
app.register(pancake, { redis: false, random: () => 0.5 })
app.register(pancake, { store: new MemoryStore() })
expectError(app.register(pancake, { name: 42 }))
expectError(app.register(pancake, { random: 'no' }))
expectError(app.register(pancake, { unknown: true }))

class IsStaff extends GroupFunc {
  getObjectId (request: FastifyRequest): string { return request.headers['x-staff'] === '1' ? 'yes' : 'no' }
  override getCandidateIds (): string[] { return ['yes', 'no'] }
}
expectAssignable<FastifyPancakeOptions>({
  groupFuncs: {
    user: async (request: FastifyRequest) => request.headers['x-user'] as string | undefined,
    staff: IsStaff,
    staffObject: new IsStaff(),
    team: './groups.js:teamOf',
    numeric: () => 42
  }
})
expectError<FastifyPancakeOptions>({ groupFuncs: { user: 42 } })

const FEATURE = new Switch('FEATURE', false)
const BETA = new Flag('BETA', true, 'other')
const ODDS = new Sample('ODDS', 42)
expectError(new Switch('FEATURE', 'yes'))
expectError(new Sample('ODDS', '42'))

expectType<Promise<boolean>>(FEATURE.isActive())
expectType<Promise<void>>(FEATURE.enable())
expectType<Promise<boolean>>(BETA.isActiveGlobally())
expectType<Promise<boolean | null>>(BETA.isActiveGroup('user'))
expectType<Promise<boolean | null>>(BETA.isActiveGroup('user', 42))
expectType<Promise<void>>(BETA.enableGroup('user', 'alice'))
expectType<Promise<void>>(BETA.clearAllGroup('user'))
expectType<Promise<number>>(ODDS.get())
expectType<Promise<void>>(ODDS.set(13))
expectError(ODDS.set('13'))
expectType<string>(ODDS.key)
expectType<number>(ODDS.default)
expectType<boolean>(FEATURE.default)

expectType<Pancakes>(app.pancakes)
expectType<PancakeInstance>(app.pancakes.get())
expectType<PancakeStore>(app.pancakes.get('other').store)
expectType<ReadonlyMap<string, Switch>>(app.pancakes.get().switches)
expectType<Promise<boolean>>(app.pancakes.run(() => FEATURE.isActive()))

expectAssignable<PancakeStore>(new RedisStore(new Redis()))
expectAssignable<PancakeStore>(new RedisStore(new Redis(), false, { reconnectDelay: 500 } satisfies RedisStoreOptions))
expectType<Promise<readonly string[] | undefined | void>>(app.pancakes.get().store.clearTracked('FLAG:pancake:t:user:F', 'FLAG:pancake:k:user:F:'))
expectAssignable<PancakeStore>({
  kind: 'custom',
  read: async () => [],
  set: async () => {},
  delete: async () => {},
  setTracked: async () => {},
  deleteTracked: async () => {},
  clearTracked: async () => {}
})
