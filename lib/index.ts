import { fastifyPancake } from './plugin.js'

export { fastifyPancake }
export default fastifyPancake

export { Flag, Sample, Switch, type AnyDefinition, type ObjectIdInput } from './definitions.js'
export { GroupFunc, type GroupClass, type GroupFuncSource, type GroupFunction, type GroupObject, type ObjectId, type Group } from './groups.js'
export { PancakeInstance } from './instance.js'
export { Pancakes } from './pancakes.js'
export type { CacheOptions, FastifyPancakeOptions } from './options.js'
export { DEFAULT_INSTANCE, definitions } from './registry.js'
export type { DefinitionRegistry } from './registry.js'
export type { Change, ChangeListener, PancakeStore } from './store/store.js'
export { WRONG_TYPE } from './store/store.js'
export { MemoryStore } from './store/MemoryStore.js'
export { CHANGES_CHANNEL, RedisStore, type RedisClient, type RedisStoreOptions } from './store/RedisStore.js'
export { NearCache, type NearCacheSettings } from './store/NearCache.js'
export * as keys from './keys.js'
export * from './errors.js'
export { pancakeRoutes } from './routes/index.js'
export type { PancakeRoutesOptions, PancakeOverviewRouteOptions, PancakeStatusRouteOptions, PancakeRouteHooks } from './routes/options.js'
export { pancakeOverview } from './routes/overview.js'
export { pancakeStatus } from './routes/status.js'
export {
  PancakeParamsSchema,
  OverviewSchema,
  FlagOverviewSchema,
  SampleOverviewSchema,
  SwitchOverviewSchema,
  GroupOverrideSchema,
  StatusSchema,
  StatusEntrySchema,
  ErrorResponseSchema,
  type PancakeParams,
  type PancakeOverview,
  type PancakeFlagOverview,
  type PancakeSampleOverview,
  type PancakeSwitchOverview,
  type PancakeStatus,
  type PancakeStatusEntry,
  type PancakeErrorResponse
} from './routes/schemas.js'
