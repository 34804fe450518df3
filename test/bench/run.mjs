// The benchmark suite of issue "Speed and scale": throughput, the cost of a
// check, propagation, outage and memory, against private redis-server
// processes. Prints Markdown tables for docs/performance.md and writes every
// number as JSON.
//
//   npm run bench                                  # build, then everything
//   node test/bench/run.mjs --only throughput      # one or more sections, comma-separated
//   node test/bench/run.mjs --rounds 5 --duration 10
//   node test/bench/run.mjs --help
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startRedis } from '../helpers/redis.mjs'

const SECTIONS = ['throughput', 'cost', 'propagation', 'outage', 'memory', 'openfeature']

const HELP = `Usage: node test/bench/run.mjs [options]  (build first: npx tsc -p .)

  --only <list>         sections to run, comma-separated: ${SECTIONS.join(', ')} (default: all)
  --variants <list>     throughput variants, comma-separated (default R0,R1,R2,R3,R4,R5,R6,Rc,R1s,R3ns,Rz;
                        R0 always runs)
  --rounds <n>          throughput rounds per variant (default 5)
  --duration <s>        seconds per throughput round (default 4)
  --warmup <s>          warm-up seconds per variant before the rounds (default 2)
  --connections <n>     autocannon connections (default 10)
  --flips <n>           propagation: writes through the library (default 200)
  --foreign <n>         propagation: writes by a plain Redis client (default 100)
  --staleness <ms>      the staleness option of the propagation instances (default 1000)
  --outage <s>          outage: seconds per phase: stopped, killed, started again (default 6)
  --overrides <n>       memory: per-user overrides stored in Redis (default 1000000)
  --users <n>           memory: distinct users checked (default 100000)
  --sizes <list>        memory: cache.size values to compare (default 1000,10000,100000)
  --out <file>          where to write the JSON results (default: $TMPDIR/fastify-pancake-bench.json)
  -h, --help`

const { values: flags } = parseArgs({
  options: {
    only: { type: 'string', default: SECTIONS.join(',') },
    variants: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    flips: { type: 'string', default: '200' },
    foreign: { type: 'string', default: '100' },
    staleness: { type: 'string', default: '1000' },
    outage: { type: 'string', default: '6' },
    overrides: { type: 'string', default: '1000000' },
    users: { type: 'string', default: '100000' },
    sizes: { type: 'string', default: '1000,10000,100000' },
    out: { type: 'string', default: join(tmpdir(), 'fastify-pancake-bench.json') },
    help: { type: 'boolean', short: 'h', default: false }
  }
})
if (flags.help) {
  console.log(HELP)
  process.exit(0)
}
const only = flags.only.split(',').map((s) => s.trim())
for (const section of only) {
  if (!SECTIONS.includes(section)) {
    console.error(`--only: unknown section '${section}' (known: ${SECTIONS.join(', ')})`)
    process.exit(2)
  }
}
const number = (name) => {
  const value = Number(flags[name])
  if (!(value > 0)) {
    console.error(`--${name}: must be a positive number, got '${flags[name]}'`)
    process.exit(2)
  }
  return value
}

const log = (message) => console.error(`[bench] ${message}`)

function machine () {
  const command = (file, args) => {
    try {
      return execFileSync(file, args, { encoding: 'utf8' }).trim()
    } catch {
      return 'unknown'
    }
  }
  return {
    nproc: command('nproc', []),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    freeMemoryGiB: Math.round(freemem() / 2 ** 30 * 10) / 10,
    node: process.version,
    redis: command('redis-server', ['--version']).match(/v=(\S+)/)?.[1] ?? 'unknown',
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    // What was measured: dist/ is built from the working tree.
    commit: command('git', ['rev-parse', '--short', 'HEAD']),
    libChanges: command('git', ['status', '--porcelain', 'lib']).split('\n').filter(Boolean).length
  }
}

const results = { date: new Date().toISOString(), machine: machine() }
const markdown = []
const started = Date.now()
log(`machine: ${JSON.stringify(results.machine)}`)

const redis = await startRedis(['--maxmemory-policy', 'noeviction'])
try {
  if (only.includes('throughput')) {
    const { throughput, throughputMarkdown } = await import('./throughput.mjs')
    results.throughput = await throughput({
      redis,
      variants: flags.variants?.split(',').map((s) => s.trim()),
      rounds: number('rounds'),
      duration: number('duration'),
      warmup: number('warmup'),
      connections: number('connections'),
      log
    })
    markdown.push('## Throughput', '', throughputMarkdown(results.throughput))
  }
  if (only.includes('cost')) {
    const { cost, costMarkdown } = await import('./cost.mjs')
    results.cost = await cost({ redis, log })
    markdown.push('## Cost of a check', '', costMarkdown(results.cost))
  }
  if (only.includes('propagation')) {
    const { propagation, propagationMarkdown } = await import('./propagation.mjs')
    results.propagation = await propagation({
      redis,
      flips: number('flips'),
      foreign: number('foreign'),
      staleness: number('staleness'),
      log
    })
    markdown.push('## Propagation', '', propagationMarkdown(results.propagation))
  }
  if (only.includes('outage')) {
    const { outage, outageMarkdown } = await import('./outage.mjs')
    results.outage = await outage({
      duration: number('duration'),
      warmup: number('warmup'),
      connections: number('connections'),
      phase: number('outage'),
      log
    })
    markdown.push('## Outage', '', outageMarkdown(results.outage))
  }
  if (only.includes('memory')) {
    const { memory, memoryMarkdown } = await import('./memory.mjs')
    results.memory = await memory({
      redis,
      overrides: number('overrides'),
      users: number('users'),
      sizes: flags.sizes.split(',').map(Number),
      log
    })
    markdown.push('## Memory', '', memoryMarkdown(results.memory))
  }
  if (only.includes('openfeature')) {
    const { openfeature, openfeatureMarkdown } = await import('./openfeature.mjs')
    results.openfeature = await openfeature({ redis, duration: number('duration'), connections: number('connections'), log })
    markdown.push('## OpenFeature', '', openfeatureMarkdown(results.openfeature))
  }
} finally {
  await redis.stop()
}

results.seconds = Math.round((Date.now() - started) / 1000)
const { machine: m } = results
markdown.unshift(
  `Run of ${results.date} (${results.seconds} s) at ${m.commit}${m.libChanges > 0 ? ` with ${m.libChanges} uncommitted changes in lib/` : ''}: ${m.nproc} × ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node}, Redis ${m.redis}, load average at start ${m.loadAverageAtStart.join(' ')}.`,
  ''
)
writeFileSync(flags.out, JSON.stringify(results, null, 2) + '\n')
console.log(markdown.join('\n'))
log(`results written to ${flags.out}`)
