// What every benchmark section shares: statistics, child processes that
// report over IPC, CPU accounting from /proc, and the load generator.
import { execFileSync, fork } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'

export { sleep }

/** The value below which `p` percent of the sorted values fall (nearest rank). */
export function percentile (sorted, p) {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

export function median (values) {
  return percentile([...values].sort((a, b) => a - b), 50)
}

/** p50, p99 and max of a list of numbers. */
export function summarize (values) {
  const sorted = Float64Array.from(values).sort()
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted.length === 0 ? NaN : sorted[sorted.length - 1]
  }
}

export function fixed (value, digits = 1) {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a'
}

/** Monotonic milliseconds, comparable across processes of this machine. */
export function nowMs () {
  return Number(process.hrtime.bigint()) / 1e6
}

/**
 * Starts `script` as a child process and resolves once it sends its first
 * message (which carries what the parent needs, e.g. its port). The child
 * ends when the parent disconnects.
 */
export async function startChild (script, args = [], execArgv = [], execPath = process.execPath) {
  const child = fork(new URL(script, import.meta.url), args, {
    execArgv,
    execPath,
    stdio: ['ignore', 'inherit', 'pipe', 'ipc']
  })
  // Whatever a child complains about, prefixed with who it is; ioredis's
  // "Unhandled error event" reports (one per failed reconnect attempt of a
  // client without an error listener) are counted instead of printed.
  const name = `[${script.replace(/^.*\//, '').replace(/\.mjs$/, '')} ${args[0] ?? ''}${execPath === process.execPath ? '' : ` ${execPath}`}] `
  const counts = { unhandledRedisErrors: 0 }
  let skipping = false
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (text) => {
    for (const line of text.split('\n')) {
      if (line.includes('[ioredis] Unhandled error event')) {
        counts.unhandledRedisErrors++
        skipping = true
      } else if (!(skipping && /^\s+at /.test(line)) && line !== '') {
        skipping = false
        process.stderr.write(`${name}${line}\n`)
      }
    }
  })
  const [first] = await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => { throw new Error(`${script} ${args.join(' ')} exited with code ${code} before it was ready`) })
  ])
  return { child, pid: child.pid, counts, ...first }
}

/**
 * Pins a process and all its threads to `cpus` (a taskset list, e.g. '2' or
 * '4-7'); does nothing when `cpus` is undefined.
 */
export function pin (pid, cpus) {
  if (cpus !== undefined) execFileSync('taskset', ['-a', '-pc', cpus, String(pid)], { stdio: 'ignore' })
}

/** Sends `message` to a child started by {@link startChild} and resolves with its answer. */
export async function ask ({ child }, message) {
  const answer = once(child, 'message')
  child.send(message)
  return (await answer)[0]
}

export async function stopChild ({ child }) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.disconnect()
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** CPU seconds (user + system) a process has used so far; 0 when it is gone. */
export function cpuSeconds (pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields, in clock ticks (100 per second on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

/** CPU seconds every core of the machine has spent busy so far (steal included). */
export function machineBusySeconds () {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).map(Number)
  // user nice system idle iowait irq softirq steal
  const [user, nice, system, , , irq, softirq, steal] = ticks
  return (user + nice + system + irq + softirq + steal) / 100
}

/**
 * Measures how busy the machine was with other work while `fn` ran: CPU
 * seconds per second spent by processes other than `pids` (and this one).
 */
export async function measureInterference (pids, fn) {
  const mine = () => [process.pid, ...pids].reduce((sum, pid) => sum + cpuSeconds(pid), 0)
  const started = process.hrtime.bigint()
  const busy = machineBusySeconds()
  const own = mine()
  const result = await fn()
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const others = (machineBusySeconds() - busy) - (mine() - own)
  return { result, interference: Math.max(0, others / seconds) }
}

/**
 * Loads `url` with autocannon for `duration` seconds and returns requests
 * per second, latency percentiles computed from every response (autocannon's
 * own histogram rounds to whole milliseconds), and the error counts.
 * `onResponse(ms, statusCode, at)` sees each response as it arrives.
 */
export async function load (url, { duration, connections, headers, onResponse }) {
  const latencies = []
  const instance = autocannon({ url, duration, connections, headers })
  instance.on('response', (_client, statusCode, _bytes, ms) => {
    latencies.push(ms)
    onResponse?.(ms, statusCode, nowMs())
  })
  const result = await instance
  return {
    rps: result.requests.total / result.duration,
    total: result.requests.total,
    ...summarize(latencies),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts
  }
}
