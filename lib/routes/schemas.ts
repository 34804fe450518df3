import { Type, type Static } from '@sinclair/typebox'

// The JSON of the routes, in flask-pancake's shape (snake_case field names),
// so that front ends written for flask-pancake keep working. The 200 schemas
// close every object (`additionalProperties: false`) and require every
// field: a renamed or missing field fails validation and serialization
// rather than reaching a client.

const closed = { additionalProperties: false } as const

/** The `:pancake` route parameter: the name of a pancake instance. */
export const PancakeParamsSchema = Type.Object({
  pancake: Type.String({ description: 'The name of a pancake instance.' })
}, closed)

/** The override of one object of a group: `true`, `false`, or `null` for none. */
export const GroupOverrideSchema = Type.Union([Type.Boolean(), Type.Null()])

/** A flag's rollouts: by group name, the percentage of the group's objects it is rolled out to. */
export const RolloutsSchema = Type.Record(Type.String(), Type.Number({ minimum: 0, maximum: 100 }), {
  description: 'By group name: the percentage of its objects the flag is rolled out to (groups without a rollout are absent).'
})

export const FlagOverviewSchema = Type.Object({
  name: Type.String(),
  default: Type.Boolean(),
  is_active: Type.Boolean({ description: 'The global value, before any group override.' }),
  groups: Type.Record(Type.String(), Type.Record(Type.String(), GroupOverrideSchema), {
    description: 'By group name, then by candidate object id: the override of that object.'
  }),
  rollouts: RolloutsSchema
}, closed)

export const SampleOverviewSchema = Type.Object({
  name: Type.String(),
  default: Type.Number({ minimum: 0, maximum: 100 }),
  value: Type.Number({ minimum: 0, maximum: 100, description: 'The stored percentage.' })
}, closed)

export const SwitchOverviewSchema = Type.Object({
  name: Type.String(),
  default: Type.Boolean(),
  is_active: Type.Boolean()
}, closed)

/** `GET /overview`: every definition of one instance, sorted by name. */
export const OverviewSchema = Type.Object({
  name: Type.String({ description: 'The pancake instance.' }),
  group_ids: Type.Array(Type.String(), { description: 'The group names, in registration order.' }),
  flags: Type.Array(FlagOverviewSchema),
  samples: Type.Array(SampleOverviewSchema),
  switches: Type.Array(SwitchOverviewSchema)
}, closed)

/** One definition's outcome for the current request. */
export const StatusEntrySchema = Type.Object({
  name: Type.String(),
  is_active: Type.Boolean()
}, closed)

/** `GET /status`: what is active for the current request, sorted by name. */
export const StatusSchema = Type.Object({
  flags: Type.Array(StatusEntrySchema),
  samples: Type.Array(StatusEntrySchema),
  switches: Type.Array(StatusEntrySchema)
}, closed)

/**
 * Fastify's error format, for 401, 403 and 404: what the routes' errors and
 * an authorization hook that throws an error with a `statusCode` (as
 * `@fastify/auth`, `@fastify/basic-auth` and `@fastify/jwt` do) answer. A
 * hook that sends a reply itself is answered as it sent it: this schema
 * documents those statuses, it does not reshape what a hook sends.
 */
export const ErrorResponseSchema = Type.Object({
  statusCode: Type.Integer(),
  code: Type.Optional(Type.String()),
  error: Type.String(),
  message: Type.String()
}, { additionalProperties: true })

export type PancakeParams = Static<typeof PancakeParamsSchema>
export type PancakeOverview = Static<typeof OverviewSchema>
export type PancakeFlagOverview = Static<typeof FlagOverviewSchema>
export type PancakeRollouts = Static<typeof RolloutsSchema>
export type PancakeSampleOverview = Static<typeof SampleOverviewSchema>
export type PancakeSwitchOverview = Static<typeof SwitchOverviewSchema>
export type PancakeStatus = Static<typeof StatusSchema>
export type PancakeStatusEntry = Static<typeof StatusEntrySchema>
export type PancakeErrorResponse = Static<typeof ErrorResponseSchema>
