// Propagation: three app instances and a writer, each a process of its own
// on one Redis. The writer flips a switch through the library; then a plain
// Redis client (what redis-cli or flask-pancake would do) writes it without
// announcing anything. Each time: how long until every instance answers the
// new value, from the moment the write started.
import { EventEmitter } from 'node:events'
import { fixed, nowMs, sleep, startChild, stopChild, summarize } from './common.mjs'

const KEY = 'SWITCH:pancake:BENCH_PROPAGATION'
const INSTANCES = 3

/** Follows what one instance answers, from its reports. */
function watch (node) {
  const seen = new EventEmitter()
  node.latest = { value: node.value, at: 0 }
  node.child.on('message', (message) => {
    if (message.ready) return
    node.latest = message
    seen.emit('change')
  })
  /** Resolves to when the instance first answered `value` after `since`, or undefined on timeout. */
  node.answers = (value, since, timeout) => new Promise((resolve) => {
    const done = () => {
      if (node.latest.value !== value || node.latest.at < since) return false
      seen.off('change', done)
      clearTimeout(timer)
      resolve(node.latest.at)
      return true
    }
    const timer = setTimeout(() => { seen.off('change', done); resolve(undefined) }, timeout)
    if (!done()) seen.on('change', done)
  })
  return node
}

async function measure ({ count, write, timeout, pause, instances }) {
  const latencies = []
  const perInstance = []
  const writes = []
  let missed = 0
  let value = instances[0].latest.value
  for (let i = 0; i < count; i++) {
    value = !value
    const since = nowMs()
    const answered = instances.map((node) => node.answers(value, since, timeout))
    const { start, written } = await write(value)
    const ats = await Promise.all(answered)
    writes.push(written - start)
    if (ats.some((at) => at === undefined)) {
      missed++
    } else {
      latencies.push(Math.max(...ats) - start)
      for (const at of ats) perInstance.push(at - start)
    }
    // A pause of varying length, so that writes do not fall in step with
    // the instances' periodic re-read.
    await sleep(pause())
  }
  return { writes: count, missed, allInstances: summarize(latencies), eachInstance: summarize(perInstance), writeCall: summarize(writes) }
}

async function startInstances (redis, staleness) {
  const nodes = []
  for (let i = 0; i < INSTANCES; i++) {
    nodes.push(watch(await startChild('./node.mjs', ['instance', redis.url, String(staleness)])))
  }
  return nodes
}

function plainWrites (client) {
  return async (value) => {
    const start = nowMs()
    await client.set(KEY, value ? '1' : '0')
    return { start, written: nowMs() }
  }
}

export async function propagation ({ redis, flips, foreign, staleness, log }) {
  await redis.flush()
  const client = redis.client()
  await client.config('SET', 'notify-keyspace-events', '')
  const nodes = []
  const result = { instances: INSTANCES, staleness }
  try {
    nodes.push(...await startInstances(redis, staleness))
    const writer = await startChild('./node.mjs', ['writer', redis.url, String(staleness)])
    nodes.push(writer)
    const write = (value) => new Promise((resolve) => {
      writer.child.once('message', resolve)
      writer.child.send({ value })
    })

    log(`propagation: ${flips} writes through the library`)
    const library = await measure({
      count: flips,
      write,
      timeout: 5000,
      pause: () => 5 + Math.random() * 20,
      instances: nodes.slice(0, INSTANCES)
    })
    result.library = { ...library, target: 'p99 < 50 ms', holds: library.missed === 0 && library.allInstances.p99 < 50 }

    log(`propagation: ${foreign} writes by a plain Redis client (staleness ${staleness} ms)`)
    const plain = await measure({
      count: foreign,
      write: plainWrites(client),
      timeout: 3 * staleness + 1000,
      pause: () => Math.random() * 100,
      instances: nodes.slice(0, INSTANCES)
    })
    result.foreign = { ...plain, target: `≤ staleness (${staleness} ms)`, holds: plain.missed === 0 && plain.allInstances.max <= staleness }
    await Promise.all(nodes.splice(0).map(stopChild))

    // Where the server publishes keyspace events, the library can follow
    // them; instances look at the setting when they start.
    await client.config('SET', 'notify-keyspace-events', 'K$g')
    nodes.push(...await startInstances(redis, staleness))
    log(`propagation: ${foreign} writes by a plain Redis client, keyspace notifications on`)
    const notified = await measure({
      count: foreign,
      write: plainWrites(client),
      timeout: 3 * staleness + 1000,
      pause: () => Math.random() * 100,
      instances: nodes
    })
    result.notified = { ...notified, target: `≤ staleness (${staleness} ms)`, holds: notified.missed === 0 && notified.allInstances.max <= staleness }
    return result
  } finally {
    await Promise.all(nodes.map(stopChild))
    await client.config('SET', 'notify-keyspace-events', '')
  }
}

export function propagationMarkdown ({ instances, staleness, library, foreign, notified }) {
  const row = (label, r) => `| ${label} | ${r.writes} | ${fixed(r.writeCall.p50, 2)} | ${fixed(r.allInstances.p50, 2)} | ${fixed(r.allInstances.p99, 2)} | ${fixed(r.allInstances.max, 2)} | ${r.missed} | ${r.target} | ${r.holds ? 'yes' : '**no**'} |`
  return [
    `${instances} instances (processes) on one Redis, default staleness ${staleness} ms. Time from the start of the write until every instance answers the new value, in ms.`,
    '',
    '| write | writes | write call p50 | all answer p50 | all answer p99 | max | missed | target | holds |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|',
    row('through the library (writer process)', library),
    row('plain `SET` (as redis-cli)', foreign),
    row('plain `SET`, server with `notify-keyspace-events K$g`', notified)
  ].join('\n')
}
