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

const definitionName = Type.String({ minLength: 1, description: 'The definition\'s name (matched without regard to case when unique).' })
const groupName = Type.String({ minLength: 1, description: 'A group of the instance.' })
const objectId = Type.String({ minLength: 1, description: 'The object\'s id in the group.' })

/**
 * `POST /changes[/:pancake]`: one change, as the CLI makes them. Sent as
 * JSON only: a form or a text/plain body is refused (CSRF). Which fields an
 * action needs: `group` and `objectId` for `enable-group`, `disable-group`
 * and `clear-group`; `group` for `clear-all-group` and `clear-rollout`;
 * `group` and `value` for `rollout`; `value` for a sample's `set`.
 */
export const ChangeRequestSchema = Type.Object({
  kind: Type.Union([Type.Literal('switch'), Type.Literal('flag'), Type.Literal('sample')]),
  name: definitionName,
  action: Type.Union([
    Type.Literal('enable'), Type.Literal('disable'), Type.Literal('clear'), Type.Literal('set'),
    Type.Literal('enable-group'), Type.Literal('disable-group'), Type.Literal('clear-group'), Type.Literal('clear-all-group'),
    Type.Literal('rollout'), Type.Literal('clear-rollout')
  ]),
  group: Type.Optional(groupName),
  objectId: Type.Optional(objectId),
  value: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'A sample\'s percentage, or a flag\'s rollout percentage in a group.' }))
}, closed)

const auditSource = Type.Union([Type.Literal('api'), Type.Literal('route'), Type.Literal('cli'), Type.Literal('outside')])
const rawValue = Type.Union([Type.String(), Type.Null()])

/** One entry of the audit trail. */
export const AuditEntrySchema = Type.Object({
  id: Type.String({ description: 'The entry\'s stream id, `<ms>-<n>`.' }),
  time: Type.Integer({ description: 'When, in ms since the epoch.' }),
  actor: Type.String(),
  source: auditSource,
  kind: Type.Union([Type.Literal('switch'), Type.Literal('flag'), Type.Literal('sample')]),
  name: Type.String(),
  target: Type.Union([Type.Literal('value'), Type.Literal('override'), Type.Literal('overrides'), Type.Literal('rollout')]),
  group: Type.Optional(Type.String()),
  objectId: Type.Optional(Type.String()),
  before: rawValue,
  after: rawValue,
  count: Type.Optional(Type.Integer())
}, closed)

/** The answer to a change: what was changed, and its audit entry's fields. */
export const ChangeResultSchema = Type.Object({
  instance: Type.String(),
  kind: Type.String(),
  name: Type.String({ description: 'The definition\'s name as defined.' }),
  action: Type.String(),
  actor: Type.String({ description: 'Who the change is recorded as.' })
}, closed)

/** `GET /history[/:pancake]` query. */
export const HistoryQuerySchema = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 }))
}, closed)

/** `GET /history[/:pancake]`: the newest entries first. */
export const HistorySchema = Type.Object({
  entries: Type.Array(AuditEntrySchema)
}, closed)

/** `GET /overrides/:pancake`: one page of a flag's overrides in one group. */
export const OverridesQuerySchema = Type.Object({
  flag: definitionName,
  group: groupName,
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]+$', default: '0' })),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 }))
}, closed)

export const OverridesPageSchema = Type.Object({
  flag: Type.String(),
  group: Type.String(),
  overrides: Type.Array(Type.Object({ objectId: Type.String(), value: GroupOverrideSchema }, closed)),
  cursor: Type.String({ description: 'The next page\'s cursor; "0" after the last page.' })
}, closed)

export type PancakeChangeRequest = Static<typeof ChangeRequestSchema>
export type PancakeChangeResult = Static<typeof ChangeResultSchema>
export type PancakeAuditEntry = Static<typeof AuditEntrySchema>
export type PancakeHistory = Static<typeof HistorySchema>
export type PancakeHistoryQuery = Static<typeof HistoryQuerySchema>
export type PancakeOverridesQuery = Static<typeof OverridesQuerySchema>
export type PancakeOverridesPage = Static<typeof OverridesPageSchema>

/** `GET /overview` as a page: the console's filter, a page of overrides, "what does an object see?". */
export const ConsoleQuerySchema = Type.Object({
  q: Type.Optional(Type.String({ description: 'Show the definitions whose name or description contains this.' })),
  flag: Type.Optional(Type.String()),
  group: Type.Optional(Type.String()),
  cursor: Type.Optional(Type.String({ description: 'With flag and group: the page of that flag\'s overrides in that group.' })),
  see: Type.Optional(Type.String({ description: 'An object id: what each flag answers for it.' })),
  seeGroup: Type.Optional(Type.String({ description: 'The group of `see`.' }))
})
