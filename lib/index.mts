// The ES module entry point re-exports the CommonJS build, so an app that
// mixes `import` and `require` still has one registry of definitions and one
// request scope.
export * from './index.js'
export { fastifyPancake as default } from './index.js'
