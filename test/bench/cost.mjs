// Cost of a check: CPU time per check in process, without HTTP, on the
// memory store and on Redis behind the near-cache (warm), and what a request
// scope does to the cost of every promise.
import { seed } from './checks.mjs'
import { fixed, startChild, stopChild } from './common.mjs'

export async function cost ({ redis, log }) {
  await redis.flush()
  await seed(redis.client())
  const runs = {}
  for (const [name, arg] of [['plain', 'plain'], ['memory', 'memory'], ['redis', redis.url]]) {
    log(`cost: ${name}`)
    const child = await startChild('./cost-child.mjs', [arg])
    await stopChild(child)
    runs[name] = { results: child.results, asyncCallNs: child.asyncCallNs }
  }
  return runs
}

export function costMarkdown ({ plain, memory, redis }) {
  const cases = Object.keys(memory.results)
  return [
    'CPU time per request scope, in µs, measured in process (no HTTP): a fresh scope, then the checks, awaited one after the other.',
    '',
    '| in one scope | memory store | Redis, near-cache warm |',
    '|---|---:|---:|',
    ...cases.map((name) => `| ${name} | ${fixed(memory.results[name], 2)} | ${fixed(redis.results[name], 2)} |`),
    '',
    `An async call and its await: ${fixed(plain.asyncCallNs, 0)} ns in a process that never entered an AsyncLocalStorage, ${fixed(redis.asyncCallNs, 0)} ns inside a request scope (Node ${process.version}).`
  ].join('\n')
}
