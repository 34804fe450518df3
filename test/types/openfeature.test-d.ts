import cookie from '@fastify/cookie'
import { OpenFeature, type Provider } from '@openfeature/server-sdk'
import Fastify from 'fastify'
import { expectAssignable, expectError, expectType } from 'tsd'
import pancake, {
  pancakeOfrep,
  OfrepBulkEvaluationSuccessSchema,
  type ContextMappingOptions,
  type OfrepBulkEvaluationSuccess,
  type OfrepEvaluationSuccess,
  type PancakeOfrepOptions
} from '../..'
import { PancakeProvider, type PancakeProviderOptions } from '../../dist/openfeature'

const app = Fastify()
app.register(cookie, { secret: 'secret' })
app.register(pancake, { groupFuncs: { user: () => 'u1' } })

const provider = new PancakeProvider(app, { targetingKey: 'user', attributes: { company: 'org' } })
expectAssignable<Provider>(provider)
expectType<Promise<void>>(OpenFeature.setProviderAndWait(provider))
new PancakeProvider(app.pancakes, { instance: 'other', mapContext: (context) => ({ user: String(context.targetingKey) }) }) // eslint-disable-line no-new
expectError(new PancakeProvider(app, { targetingKey: 42 }))
expectError(new PancakeProvider(app, { mapContext: () => 'user' }))
expectAssignable<PancakeProviderOptions>({ instance: 'pancake', targetingKey: false })
expectAssignable<ContextMappingOptions>({ attributes: { team: 'team' } })

app.register(pancakeOfrep, { prefix: '/flags', trustedAttributes: ['team'], onRequest: async () => {} })
app.register(pancakeOfrep, { trustClientContext: true, preHandler: async () => {} })
expectAssignable<PancakeOfrepOptions>({ instance: 'pancake', targetingKey: 'user' })
expectError(app.register(pancakeOfrep, { trustClientContext: 'yes' }))
expectError(app.register(pancakeOfrep, { trustedAttributes: 'team' }))

const answer: OfrepEvaluationSuccess = { key: 'BETA', value: true, reason: 'TARGETING_MATCH', variant: 'on', metadata: { kind: 'flag' } }
expectAssignable<OfrepBulkEvaluationSuccess>({ flags: [answer, { key: 'X', errorCode: 'GENERAL' }] })
expectError<OfrepEvaluationSuccess>({ key: 'BETA', value: true, reason: 'DEFAULT' })
expectType<'object'>(OfrepBulkEvaluationSuccessSchema.type)
