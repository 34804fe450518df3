import { fastifyPancake } from './plugin.js'

export { fastifyPancake }
export default fastifyPancake

export { Flag, Sample, Switch, definitions, type AnyDefinition, type DefinitionOptions, type ObjectIdInput, type SampleOptions } from './definitions.js'
export type { Evaluation, EvaluationContext, EvaluationReason } from './evaluation.js'
export { bucket } from './bucket.js'
export { GroupFunc, type GroupClass, type GroupFuncSource, type GroupFunction, type GroupObject, type ObjectId, type Group } from './groups.js'
export { PancakeInstance } from './instance.js'
export { Pancakes, type PancakeEvents, type RunOptions } from './pancakes.js'
export type { PancakeChange, PancakeChangeSource, PancakeHealth } from './changes.js'
export type { AuditOptions, CacheOptions, FastifyPancakeOptions } from './options.js'
export { auditStream, type AuditEntry, type AuditFields, type AuditRecord, type AuditSource, type AuditTarget, type HistoryQuery, type WriteOrigin } from './audit.js'
export { DEFAULT_INSTANCE } from './registry.js'
export type { DefinitionRegistry } from './registry.js'
export type { Change, ChangeListener, PancakeStore, StoreChange, StoreWatcher } from './store/store.js'
export { WRONG_TYPE } from './store/store.js'
export { MemoryStore } from './store/MemoryStore.js'
export { CHANGES_CHANNEL, RedisStore, type RedisClient } from './store/RedisStore.js'
export { NearCache, type NearCacheSettings } from './store/NearCache.js'
export * as keys from './keys.js'
export * from './errors.js'
export { pancakeRoutes } from './routes/index.js'
export type { PancakeRoutesOptions, PancakeOverviewRouteOptions, PancakeStatusRouteOptions, PancakeWriteRouteOptions, PancakeRouteHooks } from './routes/options.js'
export { pancakeOverview } from './routes/overview.js'
export { pancakeOfrep, type PancakeOfrepOptions } from './routes/ofrep.js'
export type { ContextMappingOptions, OpenFeatureContext } from './openfeature/context.js'
export type { OpenFeatureReason } from './openfeature/details.js'
export * from './routes/ofrepSchemas.js'
export { pancakeStatus } from './routes/status.js'
export {
  PancakeParamsSchema,
  OverviewSchema,
  FlagOverviewSchema,
  SampleOverviewSchema,
  SwitchOverviewSchema,
  GroupOverrideSchema,
  RolloutsSchema,
  StatusSchema,
  StatusEntrySchema,
  ErrorResponseSchema,
  ChangeRequestSchema,
  ChangeResultSchema,
  AuditEntrySchema,
  HistorySchema,
  HistoryQuerySchema,
  OverridesPageSchema,
  OverridesQuerySchema,
  type PancakeChangeRequest,
  type PancakeChangeResult,
  type PancakeAuditEntry,
  type PancakeHistory,
  type PancakeHistoryQuery,
  type PancakeOverridesQuery,
  type PancakeOverridesPage,
  type PancakeParams,
  type PancakeOverview,
  type PancakeFlagOverview,
  type PancakeRollouts,
  type PancakeSampleOverview,
  type PancakeSwitchOverview,
  type PancakeStatus,
  type PancakeStatusEntry,
  type PancakeErrorResponse
} from './routes/schemas.js'
