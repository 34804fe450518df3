import cookie from '@fastify/cookie'
import type { Static } from '@sinclair/typebox'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { expectAssignable, expectError, expectNotAssignable, expectType } from 'tsd'
import pancake, {
  ChangeRequestSchema,
  HistorySchema,
  type PancakeChangeRequest,
  type PancakeHistory,
  type PancakeWriteRouteOptions,
  ErrorResponseSchema,
  OverviewSchema,
  PancakeParamsSchema,
  StatusSchema,
  pancakeOverview,
  pancakeRoutes,
  pancakeStatus,
  type PancakeErrorResponse,
  type PancakeFlagOverview,
  type PancakeRollouts,
  type PancakeOverview,
  type PancakeParams,
  type PancakeRoutesOptions,
  type PancakeStatus
} from '../..'

const app = Fastify()
app.register(cookie, { secret: 'secret' })
app.register(pancake)

const auth = async (request: FastifyRequest): Promise<void> => {
  if (request.headers.authorization === undefined) throw new Error('no')
}
const callbackAuth = (_request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => { done() }

app.register(pancakeRoutes)
app.register(pancakeRoutes, { prefix: '/pancakes' })
app.register(pancakeRoutes, { prefix: '/pancakes', overview: { onRequest: auth } })
app.register(pancakeRoutes, { overview: { onRequest: [auth, callbackAuth] } })
app.register(pancakeRoutes, { overview: { preHandler: auth, instances: ['pancake'] } })
app.register(pancakeRoutes, { overview: { public: true }, status: { instances: ['pancake', 'other'] } })
app.register(pancakeRoutes, { overview: false, status: { onRequest: auth } })
app.register(pancakeRoutes, { status: false })
expectError(app.register(pancakeRoutes, { overview: { public: 'yes' } }))
expectError(app.register(pancakeRoutes, { overview: { onRequest: 'auth' } }))
expectError(app.register(pancakeRoutes, { status: { instances: 'pancake' } }))
expectError(app.register(pancakeRoutes, { overview: true }))

expectAssignable<PancakeRoutesOptions>({ overview: { public: true } })
expectNotAssignable<PancakeRoutesOptions>({ overview: { auth } })

// The data types are those of the schemas.
expectType<PancakeOverview>({} as Static<typeof OverviewSchema>)
expectType<PancakeStatus>({} as Static<typeof StatusSchema>)
expectType<PancakeParams>({} as Static<typeof PancakeParamsSchema>)
expectType<PancakeErrorResponse>({} as Static<typeof ErrorResponseSchema>)

declare const overview: PancakeOverview
expectType<string>(overview.name)
expectType<string[]>(overview.group_ids)
expectType<PancakeFlagOverview[]>(overview.flags)
expectType<boolean>(overview.flags[0]!.is_active)
expectType<Record<string, Record<string, boolean | null>>>(overview.flags[0]!.groups)
expectType<Record<string, number>>(overview.flags[0]!.rollouts)
expectType<PancakeRollouts>(overview.flags[0]!.rollouts)
expectType<number>(overview.samples[0]!.value)
expectType<boolean>(overview.switches[0]!.default)

declare const status: PancakeStatus
expectType<Array<{ name: string, is_active: boolean }>>(status.samples)

expectType<Promise<PancakeOverview>>(pancakeOverview(app.pancakes.get()))
expectType<Promise<PancakeStatus>>(pancakeStatus(app.pancakes.get('other')))
expectError(pancakeStatus('pancake'))

// The schemas plug into a route of the application's own.
app.get('/my-flags', { schema: { response: { 200: StatusSchema, 404: ErrorResponseSchema } } }, async () => await pancakeStatus(app.pancakes.get()))

// The write route: its own hook and actor; the change and history schemas.
app.register(pancakeRoutes, {
  overview: { onRequest: async () => {} },
  write: { preHandler: async () => {}, actor: (request: FastifyRequest) => request.ip, instances: ['pancake'] }
})
expectError(app.register(pancakeRoutes, { write: { public: true } }))
expectError(app.register(pancakeRoutes, { write: { actor: 'bob' } }))
expectAssignable<PancakeWriteRouteOptions>({ actor: async () => 'ann' })
expectAssignable<PancakeChangeRequest>({ kind: 'flag', name: 'BETA', action: 'enable-group', group: 'user', objectId: '42' })
expectAssignable<PancakeChangeRequest>({ kind: 'flag', name: 'BETA', action: 'rollout', group: 'user', value: 30 })
expectNotAssignable<PancakeChangeRequest>({ kind: 'flag', name: 'BETA', action: 'explode' })
expectType<Static<typeof ChangeRequestSchema>>({} as PancakeChangeRequest)
expectType<Static<typeof HistorySchema>>({} as PancakeHistory)
declare const history: PancakeHistory
expectType<'api' | 'route' | 'cli' | 'outside'>(history.entries[0]!.source)
expectType<string | null>(history.entries[0]!.before)
