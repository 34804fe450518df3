// A disposable Redis for one test file: a redis-server of its own on a free
// port, stopped when the file's tests end, so tests never touch anyone's
// data. With REDIS_URL set, that server is used instead and flushed.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { after, before } from 'node:test'
import { Redis } from 'ioredis'

export async function freePort () {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  server.close()
  await once(server, 'close')
  return port
}

/**
 * Starts a redis-server and resolves once it accepts connections.
 * @returns {Promise<RedisServer>}
 */
export async function startRedis (extraArgs = []) {
  const clients = []
  const client = (options = {}) => {
    const redis = new Redis(server.url, { lazyConnect: false, ...options })
    clients.push(redis)
    return redis
  }
  // Connected before it is handed out, so the first command an app sends
  // is not queued behind the connection.
  const connected = async () => {
    const redis = client()
    await redis.ping()
    return redis
  }
  const server = { url: process.env.REDIS_URL, port: undefined, process: undefined, client, connected }

  if (server.url === undefined || extraArgs.length > 0) {
    const port = await freePort()
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--daemonize', 'no', '--loglevel', 'warning', ...extraArgs
    ], { stdio: ['ignore', 'pipe', 'pipe'] })
    server.process = child
    server.port = port
    server.url = `redis://127.0.0.1:${port}`
    await waitForPing(server.url, child)
  } else {
    server.port = Number(new URL(server.url).port || 6379)
  }

  const admin = client()
  // A test or benchmark may kill the server: its reconnect errors are not news.
  admin.on('error', () => {})
  server.flush = async () => { await admin.flushdb() }
  await server.flush()
  server.stop = async () => {
    for (const c of clients) c.disconnect()
    if (server.process !== undefined && server.process.exitCode === null && server.process.signalCode === null) {
      server.process.kill('SIGKILL')
      await once(server.process, 'exit')
    }
  }
  return server
}

/**
 * @typedef {object} RedisServer
 * @property {string} url
 * @property {number} port
 * @property {import('node:child_process').ChildProcess | undefined} process
 * @property {(options?: object) => Redis} client a new client, disconnected by stop()
 * @property {() => Promise<Redis>} connected a new client that has answered a PING
 * @property {() => Promise<void>} flush
 * @property {() => Promise<void>} stop
 */

/**
 * The Redis of one test file: started before the file's tests, stopped
 * after them. The object is filled in when the server starts, so it can be
 * handed to helpers at load time and used in hooks and tests.
 *
 * What the file needs the server for before its tests goes in `started`,
 * which runs in the same hook: on Node 20 a top-level before() runs as soon
 * as it is registered, so a second one would not wait for this one.
 * @param {(redis: RedisServer) => unknown} [started]
 * @returns {RedisServer}
 */
export function redisForThisFile (started = () => {}) {
  const redis = {}
  before(async () => {
    Object.assign(redis, await startRedis())
    await started(redis)
  })
  after(async () => { await redis.stop() })
  return redis
}

async function waitForPing (url, child) {
  let exited = false
  child.once('exit', () => { exited = true })
  for (let attempt = 0; attempt < 200; attempt++) {
    if (exited) throw new Error(`redis-server exited early (code ${child.exitCode})`)
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    probe.on('error', () => {})
    try {
      await probe.connect()
      await probe.ping()
      probe.disconnect()
      return
    } catch {
      probe.disconnect()
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }
  throw new Error(`redis-server at ${url} did not answer`)
}
