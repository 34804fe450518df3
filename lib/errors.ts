import createError from '@fastify/error'

// Every error the library raises, with a stable code. Messages about
// definitions and groups keep flask-pancake's wording so that operators who
// know one library recognise the other. Misuse in code (an unknown group or
// instance, a bad value) is a 500 when it reaches a route: the client asked
// for nothing wrong.

export const PancakeInvalidOptionError = createError<[string, string]>(
  'FST_PANCAKE_INVALID_OPTION',
  'fastify-pancake: option "%s" %s',
  500,
  TypeError
)

export const PancakeInvalidDefaultError = createError<[string, string, string]>(
  'FST_PANCAKE_INVALID_DEFAULT',
  'Default value for %s %s must be %s.',
  500,
  TypeError
)

export const PancakeInvalidValueError = createError<[string]>(
  'FST_PANCAKE_INVALID_VALUE',
  'Value for sample %s must be in the range [0, 100].',
  500,
  RangeError
)

export const PancakeInvalidRolloutError = createError<[string, string]>(
  'FST_PANCAKE_INVALID_ROLLOUT',
  'Value for the rollout of flag %s in group %s must be in the range [0, 100].',
  500,
  RangeError
)

export const PancakeInvalidContextError = createError<[string]>(
  'FST_PANCAKE_INVALID_CONTEXT',
  'Invalid evaluation context: %s.',
  500,
  TypeError
)

export const PancakeUnknownDefinitionError = createError<[string, string]>(
  'FST_PANCAKE_UNKNOWN_DEFINITION',
  "No switch, flag or sample named '%s' in pancake instance '%s'.",
  500
)

export const PancakeInvalidNameError = createError<[string, string]>(
  'FST_PANCAKE_INVALID_NAME',
  'The name of a %s must be a non-empty string without ":" (it separates the parts of a Redis key), got %s.',
  500,
  TypeError
)

export const PancakeNoGroupsError = createError<[string]>(
  'FST_PANCAKE_NO_GROUPS',
  "No group functions defined on pancake instance '%s'. If you don't have users or other types of groups in your application and want a global flag to turn things on and off, use a Switch instead.",
  500
)

export const PancakeInvalidGroupError = createError<[string, string]>(
  'FST_PANCAKE_INVALID_GROUP',
  "Invalid group identifier '%s'. This group is not registered in the pancake instance '%s'.",
  500
)

export const PancakeCannotDeriveError = createError<[string]>(
  'FST_PANCAKE_CANNOT_DERIVE',
  "Cannot derive identifier for group '%s'",
  500
)

export const PancakeNoContextError = createError<[string]>(
  'FST_PANCAKE_NO_CONTEXT',
  "%s was used outside a request. Route handlers, and hooks added after fastify-pancake was registered, run in the request's scope; a hook added before it runs outside that scope: register fastify-pancake first, or add the hook after it. Jobs, scripts and tests have no request: wrap the call in a scope of the app, `await app.pancakes.run(() => DEFINITION.isActive())`.",
  500
)

export const PancakeUnknownInstanceError = createError<[string, string]>(
  'FST_PANCAKE_UNKNOWN_INSTANCE',
  "No pancake instance '%s' is registered on this app (registered: %s).",
  500
)

export const PancakeDuplicateInstanceError = createError<[string]>(
  'FST_PANCAKE_DUPLICATE_INSTANCE',
  "fastify-pancake: an instance named '%s' is already registered on this app; give each registration its own `name`.",
  500
)

export const PancakeCookieSecretError = createError<[string]>(
  'FST_PANCAKE_NO_COOKIE_SECRET',
  "fastify-pancake: instance '%s' needs signed cookies for samples; register @fastify/cookie with a `secret` before fastify-pancake.",
  500
)

export const PancakeGroupResolveError = createError<[string, string, string]>(
  'FST_PANCAKE_GROUP_RESOLVE',
  'fastify-pancake: option "groupFuncs.%s" refers to \'%s\', which cannot be resolved: %s',
  500
)

export const PancakeStoreError = createError<[string]>(
  'FST_PANCAKE_STORE',
  'fastify-pancake: the store could not complete the write: %s',
  503
)

export const PancakeStoreReadError = createError<[string]>(
  'FST_PANCAKE_STORE_READ',
  'fastify-pancake: the store could not be read: %s',
  503
)

export const PancakeRoutesWithoutPluginError = createError(
  'FST_PANCAKE_ROUTES_WITHOUT_PLUGIN',
  'fastify-pancake: register the fastify-pancake plugin before pancakeRoutes, in the same context or an enclosing one (app.pancakes is missing).',
  500
)

export const PancakeInstanceNotFoundError = createError<[string]>(
  'FST_PANCAKE_INSTANCE_NOT_FOUND',
  "Unknown pancake instance '%s'.",
  404
)

export const PancakeDefinitionNotFoundError = createError<[string, string, string]>(
  'FST_PANCAKE_DEFINITION_NOT_FOUND',
  "Unknown %s '%s' in pancake instance '%s'.",
  404
)

export const PancakeUnknownGroupError = createError<[string, string]>(
  'FST_PANCAKE_UNKNOWN_GROUP',
  "Unknown group '%s' in pancake instance '%s'.",
  400
)

export const PancakeBadChangeError = createError<[string, string, string]>(
  'FST_PANCAKE_BAD_CHANGE',
  "A %s cannot take the action '%s'%s.",
  400
)

export const PancakeWritesLockedError = createError(
  'FST_PANCAKE_WRITES_LOCKED',
  'Changes through the routes are closed by default. Give pancakeRoutes a write authorization hook (`write: { onRequest }` or `write: { preHandler }`) to open them.',
  403
)

export const PancakeCrossSiteWriteError = createError<[string]>(
  'FST_PANCAKE_CROSS_SITE_WRITE',
  'Refused a change sent from another site (%s).',
  403
)

export const PancakeWriteMediaTypeError = createError(
  'FST_PANCAKE_WRITE_MEDIA_TYPE',
  'Changes are sent as JSON: Content-Type must be application/json.',
  415
)

export const PancakeOverviewLockedError = createError(
  'FST_PANCAKE_OVERVIEW_LOCKED',
  'The pancake overview is protected by default. Give pancakeRoutes an authorization hook (`overview: { onRequest }` or `overview: { preHandler }`), or open it to everyone with `overview: { public: true }`.',
  403
)

// The `pancake` command line. Usage errors exit with status 2, the others
// with 1; `--json` prints the code.

export const PancakeCliUsageError = createError<[string]>(
  'FST_PANCAKE_CLI_USAGE',
  '%s',
  400
)

export const PancakeCliAppError = createError<[string]>(
  'FST_PANCAKE_CLI_APP',
  '%s',
  500
)

export const PancakeCliUnknownDefinitionError = createError<[string, string, string, string, string]>(
  'FST_PANCAKE_CLI_UNKNOWN_DEFINITION',
  "No %s named '%s' in pancake instance '%s'. Known %s: %s.",
  404
)

export const PancakeCliMemoryStoreError = createError<[string]>(
  'FST_PANCAKE_CLI_MEMORY_STORE',
  "Pancake instance '%s' uses the in-memory store, which lives inside each process: a change made by this command would vanish when it exits and never reach a running server. Give the app a Redis (the `redis` option, or @fastify/redis) to change state from the command line.",
  409
)

export const PancakeCliStoreUnreachableError = createError<[string, string, string]>(
  'FST_PANCAKE_CLI_STORE_UNREACHABLE',
  "Cannot reach the %s store of pancake instance '%s': %s",
  503
)

export const PancakeUnknownEventError = createError<[string]>(
  'FST_PANCAKE_UNKNOWN_EVENT',
  "app.pancakes emits 'change' and 'health', not '%s'.",
  500,
  TypeError
)
