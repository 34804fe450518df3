// The ES module entry point re-exports the CommonJS build, as the main
// entry does: one copy of the library however it is loaded.
export * from './index.js'
