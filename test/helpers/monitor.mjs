// Counts the commands that reach a Redis server, through MONITOR. Commands
// run by Lua scripts are reported with the source 'lua' and are not round
// trips of their own, so they are left out.
import { randomUUID } from 'node:crypto'

/**
 * @param {{ client: (options?: object) => import('ioredis').Redis }} redis from startRedis()
 */
export async function monitorCommands (redis) {
  const monitor = await redis.client().monitor()
  const marker = redis.client()
  const seen = []
  let waiting
  monitor.on('monitor', (_time, args, source) => {
    if (source === 'lua') return
    if (waiting !== undefined && args[0].toLowerCase() === 'echo' && args[1] === waiting.token) {
      waiting.arrived()
      return
    }
    seen.push({ source, command: args[0].toLowerCase(), args: args.slice(1) })
  })
  // MONITOR reports commands in the order Redis runs them: once a marker
  // sent now arrives, every command run before it has.
  const settle = async () => {
    const token = randomUUID()
    const arrived = new Promise((resolve) => { waiting = { token, arrived: resolve } })
    await marker.echo(token)
    await arrived
    waiting = undefined
  }
  await settle()
  return {
    /**
     * The commands seen since the last call, `{ source, command, args }`
     * with the command lower-cased; only those of `client` when given.
     */
    async take (client) {
      await settle()
      const taken = seen.splice(0)
      if (client === undefined) return taken
      const source = `${client.stream.localAddress}:${client.stream.localPort}`
      return taken.filter((entry) => entry.source === source)
    },
    /** The commands `client` sent while `work` ran. */
    async during (client, work) {
      await this.take()
      await work()
      return await this.take(client)
    },
    async stop () {
      monitor.disconnect()
      marker.disconnect()
    }
  }
}
