// A disposable Redis Cluster of three masters, made from redis-server
// processes and `redis-cli --cluster create`, for one test file.
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { Cluster, Redis } from 'ioredis'
import { freePort } from './redis.mjs'

const run = promisify(execFile)

export async function startCluster (masters = 3) {
  const dir = await mkdtemp(join(tmpdir(), 'pancake-cluster-'))
  const nodes = []
  for (let i = 0; i < masters; i++) {
    const port = await freePort()
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`),
      '--cluster-node-timeout', '2000', '--dir', dir, '--loglevel', 'warning'
    ], { stdio: 'ignore' })
    nodes.push({ port, process: child })
  }
  for (const { port } of nodes) await waitFor(async () => await ping(port) === 'PONG')
  await run('redis-cli', ['--cluster', 'create', ...nodes.map(({ port }) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'])
  for (const { port } of nodes) {
    await waitFor(async () => {
      const info = await clusterInfo(port)
      return /cluster_state:ok/.test(info) && /cluster_slots_assigned:16384/.test(info)
    })
  }

  const clients = []
  return {
    nodes: nodes.map(({ port }) => ({ host: '127.0.0.1', port })),
    /** A new cluster client; disconnected by stop(). */
    client (options = {}) {
      const cluster = new Cluster(this.nodes, options)
      clients.push(cluster)
      return cluster
    },
    async stop () {
      for (const client of clients) client.disconnect()
      for (const { process } of nodes) {
        if (process.exitCode === null && process.signalCode === null) {
          process.kill('SIGKILL')
          await once(process, 'exit')
        }
      }
      await rm(dir, { recursive: true, force: true })
    }
  }
}

async function ping (port) {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
  client.on('error', () => {})
  try {
    await client.connect()
    return await client.ping()
  } catch {
    return undefined
  } finally {
    client.disconnect()
  }
}

async function clusterInfo (port) {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info'])
  return stdout
}

async function waitFor (condition, attempts = 400) {
  for (let i = 0; i < attempts; i++) {
    if (await condition()) return
    await sleep(25)
  }
  throw new Error('the cluster did not come up')
}
