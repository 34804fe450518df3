// Cost of a check: CPU time per check in process, without HTTP, on the
// memory store and on Redis behind the near-cache (warm), and what a request
// scope does to the cost of every promise.
import { seed } from './checks.mjs'
import { fixed, pin, startChild, stopChild } from './common.mjs'

const EMPTY = 'empty scope'
const FLOOR = 'one await of a settled promise (the floor)'
const BASE = 'one flag (the base of the next three)'
const FURTHER = { switch: 'the base and a switch', flag: 'the base and a flag', rollout: 'the base and a rollout' }
const MAX_ABOVE_FLOOR = 0.15
const FIRST = { switch: 'one switch', flag: 'one flag (2 groups)', rollout: 'one rollout (by user)' }

/**
 * What a further warm check costs beyond its await, in a request whose
 * ids are known: (base + check) − base − (one await − empty scope).
 */
function further (results) {
  const wait = results[FLOOR] - results[EMPTY]
  return Object.fromEntries(Object.entries(FURTHER).map(([kind, name]) => [kind, results[name] - results[BASE] - wait]))
}

/** Runs the in-process cases on every Node of `nodes`, one after the other. */
export async function cost ({ redis, nodes, pinServer, log }) {
  const byNode = {}
  for (const node of nodes) {
    await redis.flush()
    await seed(redis.client())
    const runs = {}
    for (const [name, arg] of [['plain', 'plain'], ['memory', 'memory'], ['redis', redis.url]]) {
      log(`cost: ${node.label} ${name}`)
      const child = await startChild('./cost-child.mjs', [arg], [], node.execPath)
      pin(child.pid, pinServer)
      await stopChild(child)
      runs[name] = { results: child.results, asyncCallNs: child.asyncCallNs }
    }
    runs.further = { memory: further(runs.memory.results), redis: further(runs.redis.results) }
    runs.targets = Object.entries(runs.further.redis).map(([kind, above]) => ({
      target: `a warm ${kind} check ≤ ${MAX_ABOVE_FLOOR} µs above its await (a further check of a request)`,
      value: `${fixed(above, 3)} µs (the first check of a request: ${fixed(runs.redis.results[FIRST[kind]] - runs.redis.results[FLOOR], 3)} µs above the floor)`,
      holds: above <= MAX_ABOVE_FLOOR
    }))
    byNode[node.label] = runs
  }
  return byNode
}

export function costMarkdown (byNode) {
  return Object.entries(byNode).map(([label, { plain, memory, redis, further, targets }]) => {
    const cases = Object.keys(memory.results)
    const floor = (results) => results[FLOOR]
    return [
      `### Node ${label}`,
      '',
      'CPU time per request scope, in µs, measured in process (no HTTP): a fresh scope, then the checks, awaited one after the other; "above the floor": minus the same scope with one await of a settled promise.',
      '',
      '| in one scope | memory store | above the floor | Redis, near-cache warm | above the floor |',
      '|---|---:|---:|---:|---:|',
      ...cases.map((name) => `| ${name} | ${fixed(memory.results[name], 3)} | ${fixed(memory.results[name] - floor(memory.results), 3)} | ${fixed(redis.results[name], 3)} | ${fixed(redis.results[name] - floor(redis.results), 3)} |`),
      '',
      'A further check in a request whose group ids are known, beyond its await: (the base and the check) − the base − (one await − empty scope), µs:',
      '',
      '| further check | memory store | Redis, near-cache warm |',
      '|---|---:|---:|',
      ...Object.keys(further.redis).map((kind) => `| ${kind} | ${fixed(further.memory[kind], 3)} | ${fixed(further.redis[kind], 3)} |`),
      '',
      `An async call and its await: ${fixed(plain.asyncCallNs, 0)} ns in a process that never entered an AsyncLocalStorage, ${fixed(redis.asyncCallNs, 0)} ns inside a request scope.`,
      '',
      '| target (Redis, near-cache warm) | measured | holds |',
      '|---|---|---|',
      ...targets.map(({ target, value, holds }) => `| ${target} | ${value} | ${holds ? 'yes' : '**no**'} |`)
    ].join('\n')
  }).join('\n\n')
}
