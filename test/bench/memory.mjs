// Memory: a million per-user overrides in Redis, a hundred thousand distinct
// users checking one flag, once per cache.size; the heap an app keeps should
// follow cache.size, not the number of users or of overrides.
import { fixed, startChild, stopChild } from './common.mjs'

// Stores overrides ARGV[2]..ARGV[3] of the flag's user group, with their
// tracking set, as enableGroup would; in chunks, so Redis is never blocked
// for long.
const LOAD = `
local key, tracking = ARGV[1], KEYS[1]
for i = tonumber(ARGV[2]), tonumber(ARGV[3]) do
  local object = key .. i
  redis.call('SET', object, '1')
  redis.call('SADD', tracking, object)
end
return 1`
const CHUNK = 50_000

export async function memory ({ redis, overrides, users, sizes, log }) {
  await redis.flush()
  const client = redis.client()
  const started = Date.now()
  for (let from = 1; from <= overrides; from += CHUNK) {
    await client.eval(LOAD, 1, 'FLAG:pancake:t:user:BENCH_MEMORY', 'FLAG:pancake:k:user:BENCH_MEMORY:u', from, Math.min(from + CHUNK - 1, overrides))
  }
  const stored = await client.scard('FLAG:pancake:t:user:BENCH_MEMORY')
  const loadSeconds = (Date.now() - started) / 1000
  log(`memory: ${stored} overrides stored in ${fixed(loadSeconds)} s`)
  const runs = []
  for (const size of sizes) {
    log(`memory: ${users} users, cache.size ${size}`)
    const child = await startChild('./memory-child.mjs', [redis.url, String(size), String(users)], ['--expose-gc'])
    await stopChild(child)
    const { before, after, on, seconds, cached, warnings, maxLoopDelay } = child
    const held = Math.min(size, users)
    runs.push({
      size,
      users,
      on,
      warnings,
      maxLoopDelay,
      seconds,
      cached,
      heapBefore: before.heapUsed,
      heapAfter: after.heapUsed,
      growth: after.heapUsed - before.heapUsed,
      perEntry: (after.heapUsed - before.heapUsed) / held,
      rssAfter: after.rss
    })
  }
  // User i is u(20 i + 1) (see memory-child.mjs); those up to the last override have one.
  const withOverride = Math.min(users, Math.floor((stored - 1) / 20) + 1)
  return { overrides: stored, loadSeconds, users, withOverride, runs }
}

const MB = (bytes) => fixed(bytes / 2 ** 20, 1)

export function memoryMarkdown ({ overrides, loadSeconds, users, withOverride, runs }) {
  return [
    `${overrides} per-user overrides in Redis (stored in ${fixed(loadSeconds)} s); ${users} distinct users check one flag, ${withOverride} of them with an override (so that many should answer "on"); heap used after a full GC, in MiB. "Store warnings": reads that took longer than readTimeout; for a second after one, uncached users get the default.`,
    '',
    '| cache.size | users answered "on" | store warnings | longest event-loop delay | overrides cached | heap before | heap after | growth | growth per cached entry | RSS after | users/s |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...runs.map((r) => `| ${r.size} | ${r.on} | ${r.warnings} | ${fixed(r.maxLoopDelay)} ms | ${r.cached ?? 'n/a'} | ${MB(r.heapBefore)} | ${MB(r.heapAfter)} | ${MB(r.growth)} | ${Math.round(r.perEntry)} B | ${MB(r.rssAfter)} | ${Math.round(r.users / r.seconds)} |`)
  ].join('\n')
}
