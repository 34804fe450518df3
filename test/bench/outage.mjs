// Outage: R3 (ten checks on Redis, cache warm) under load, first with Redis
// healthy, then while its redis-server is stopped with SIGSTOP (it keeps its
// connections open and answers nothing: no client notices, the worst case),
// then killed with SIGKILL (connections refused), then started again, empty,
// on the same port. One load run across all phases, so that nothing restarts
// at their edges. A Redis of its own, since this section kills it.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { startRedis } from '../helpers/redis.mjs'
import { HEADERS, seed } from './checks.mjs'
import { fixed, load, sleep, startChild, stopChild, summarize } from './common.mjs'

const READ_TIMEOUT = 50 // the readTimeout default, which R3 uses

export async function outage ({ duration, warmup, connections, phase, log }) {
  const redis = await startRedis(['--maxmemory-policy', 'noeviction'])
  let server
  let restarted
  try {
    const client = redis.client()
    client.on('error', () => {}) // it reconnects; the outage is the point
    await seed(client)
    server = await startChild('./server.mjs', ['R3', redis.url])
    const url = `http://127.0.0.1:${server.port}/`
    log(`outage: warm-up (${warmup} s), then ${duration} s with Redis healthy`)
    await load(url, { duration: warmup, connections, headers: HEADERS })
    const normal = await load(url, { duration, connections, headers: HEADERS })

    const lead = 2
    const phases = { healthy: [], paused: [], killed: [], restarted: [] }
    const statuses = { healthy: {}, paused: {}, killed: {}, restarted: {} }
    let current = 'healthy'
    log(`outage: ${lead} s healthy, then ${phase} s each with redis-server stopped (SIGSTOP), killed (SIGKILL), started again`)
    const running = load(url, {
      duration: lead + 3 * phase,
      connections,
      headers: HEADERS,
      // Counted in the phase in which the response arrived.
      onResponse: (ms, statusCode) => {
        phases[current].push(ms)
        statuses[current][statusCode] = (statuses[current][statusCode] ?? 0) + 1
      }
    })
    await sleep(lead * 1000)
    redis.process.kill('SIGSTOP')
    current = 'paused'
    await sleep(phase * 1000)
    const exited = once(redis.process, 'exit')
    redis.process.kill('SIGKILL')
    await exited
    // The helper's stop() would wait for this exit again.
    redis.process = undefined
    current = 'killed'
    await sleep(phase * 1000)
    restarted = spawn('redis-server', [
      '--port', String(redis.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'
    ], { stdio: 'ignore' })
    current = 'restarted'
    const run = await running

    const bound = 2 * normal.p99 + READ_TIMEOUT
    const summaries = Object.fromEntries(Object.entries(phases).map(([name, list]) => [name, { ...summarize(list), statuses: statuses[name] }]))
    const worst = Math.max(summaries.paused.p99, summaries.killed.p99)
    return {
      readTimeout: READ_TIMEOUT,
      phase,
      normal: { rps: normal.rps, p50: normal.p50, p99: normal.p99, max: normal.max, non2xx: normal.non2xx, errors: normal.errors },
      phases: summaries,
      run: { rps: run.rps, non2xx: run.non2xx, errors: run.errors, timeouts: run.timeouts },
      bound,
      holds: worst <= bound && run.non2xx + run.errors === 0,
      unhandledRedisErrors: server.counts.unhandledRedisErrors
    }
  } finally {
    if (server !== undefined) await stopChild(server)
    redis.process?.kill('SIGCONT')
    await redis.stop()
    if (restarted !== undefined) {
      restarted.kill('SIGKILL')
      if (restarted.exitCode === null && restarted.signalCode === null) await once(restarted, 'exit')
    }
  }
}

export function outageMarkdown ({ readTimeout, phase, normal, phases, run, bound, holds, unhandledRedisErrors }) {
  const row = (label, s) => `| ${label} | ${s.count} | ${fixed(s.p50, 2)} | ${fixed(s.p99, 2)} | ${fixed(s.p999, 2)} | ${fixed(s.max, 2)} |`
  return [
    `R3 under load, latencies in ms; ${phase} s per outage phase. Target: p99 while Redis is stopped or killed ≤ 2 × normal p99 + readTimeout (${readTimeout} ms) = ${fixed(bound, 2)} ms, and no errors.`,
    '',
    '| phase | responses | p50 | p99 | p99.9 | max |',
    '|---|---:|---:|---:|---:|---:|',
    `| normal (a run of its own) | ${Math.round(normal.rps)}/s | ${fixed(normal.p50, 2)} | ${fixed(normal.p99, 2)} | — | ${fixed(normal.max, 2)} |`,
    row('healthy (lead-in)', phases.healthy),
    row('redis-server stopped (SIGSTOP)', phases.paused),
    row('redis-server killed', phases.killed),
    row('redis-server started again (empty)', phases.restarted),
    '',
    `Non-2xx responses: ${run.non2xx}; errors: ${run.errors} (timeouts ${run.timeouts}). Target ${holds ? 'holds' : '**missed**'}.`,
    `The server printed ${unhandledRedisErrors} ioredis "Unhandled error event" reports (one per failed reconnect of a client without an error listener).`
  ].join('\n')
}
