import cookie from '@fastify/cookie'
import Fastify, { type FastifyRequest } from 'fastify'
import { Redis } from 'ioredis'
import { expectAssignable, expectError, expectType } from 'tsd'
import pancake, {
  auditStream,
  type AuditEntry,
  type WriteOrigin,
  Flag,
  GroupFunc,
  MemoryStore,
  PancakeInstance,
  Pancakes,
  RedisStore,
  Sample,
  Switch,
  bucket,
  fastifyPancake,
  type Evaluation,
  type EvaluationContext,
  type EvaluationReason,
  type FastifyPancakeOptions,
  type PancakeChange,
  type PancakeChangeSource,
  type PancakeHealth,
  type SampleOptions,
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
expectType<Promise<void>>(app.pancakes.run(() => FEATURE.enable(), { actor: 'ops' }))
expectError(app.pancakes.run(() => FEATURE.enable(), { actor: 42 }))
expectType<Promise<AuditEntry[]>>(app.pancakes.get().history({ limit: 10, name: 'FEATURE' }))
expectAssignable<WriteOrigin>({ actor: 'ann', source: 'route' })
expectError<WriteOrigin>({ actor: 'ann', source: 'web' })
expectType<'switch'>(FEATURE.kind)
expectType<string | undefined>(new Switch('DESCRIBED', false, { description: 'what it is for' }).description)
expectError(new Switch('DESCRIBED', false, { description: 5 }))
expectAssignable<FastifyPancakeOptions>({ audit: { maxLength: 500 } })
expectType<string>(auditStream('pancake'))

expectAssignable<PancakeStore>(new RedisStore(new Redis()))

app.pancakes.on('change', (change) => {
  expectType<PancakeChange>(change)
  expectType<PancakeChangeSource>(change.source)
  expectType<'switch' | 'flag' | 'sample'>(change.kind)
  expectType<'value' | 'override' | 'rollout' | 'overrides'>(change.target)
  expectType<string | null | undefined>(change.value)
  expectType<string | undefined>(change.objectId)
})
app.pancakes.on('change', async () => {}).off('change', () => {})
app.pancakes.on('health', (health) => {
  expectType<PancakeHealth>(health)
  expectType<boolean>(health.available)
})
expectType<boolean>(app.pancakes.available('other'))
expectError(app.pancakes.on('changed', () => {}))
expectError(app.pancakes.on('change', (change: string) => change))
// Rollouts and the evaluation engine.
expectType<Promise<void>>(BETA.setRollout('user', 20))
expectType<Promise<void>>(BETA.clearRollout('user'))
expectType<Promise<Record<string, number>>>(BETA.rollouts())
expectError(BETA.setRollout('user', '20'))
expectType<string>(BETA.rolloutKey('user'))
expectType<number>(bucket('BETA', '42'))
const STICKY = new Sample('STICKY', 10, { stickyBy: 'user', instance: 'other' })
expectType<string | undefined>(STICKY.stickyBy)
expectAssignable<SampleOptions>({ stickyBy: 'user' })
expectError(new Sample('STICKY', 10, { stickyBy: 42 }))
expectType<'switch' | 'flag' | 'sample'>(ODDS.kind as Evaluation['kind'])
const context: EvaluationContext = { user: '42', company: 7, team: null }
expectType<Promise<Evaluation>>(app.pancakes.evaluate(BETA, context))
expectType<Promise<Evaluation>>(app.pancakes.get('other').evaluate('BETA', { user: 1 }))
expectType<Promise<Evaluation>>(BETA.evaluate())
expectError(app.pancakes.evaluate('BETA'))
expectError(app.pancakes.evaluate(BETA, { user: true }))
declare const evaluation: Evaluation
expectType<boolean>(evaluation.value)
expectType<EvaluationReason>(evaluation.reason)
expectType<string | undefined>(evaluation.group)
expectType<number | undefined>(evaluation.bucket)
