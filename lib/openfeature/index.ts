// fastify-pancake/openfeature: the OpenFeature server provider. A module of
// its own, so that only apps that use it load @openfeature/server-sdk.
export { PancakeProvider, type PancakeProviderOptions } from './provider.js'
export type { ContextMappingOptions, OpenFeatureContext } from './context.js'
export type { OpenFeatureReason } from './details.js'
