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
    const [name, ...rest] = args
    if (name.toLowerCase() === 'echo' && waiting !== undefined && rest[0] === waiting.token) {
      waiting.resolve()
      return
    }
    seen.push([name.toLowerCase(), ...rest])
  })
  // MONITOR delivers asynchronously: a marker sent after the commands of
  // interest arrives after them, so once it is seen, all of them are.
  const settle = async () => {
    const token = randomUUID()
    const arrived = new Promise((resolve) => { waiting = { token, resolve } })
    await marker.echo(token)
    await arrived
  }
  await settle()
  return {
    /** The commands seen since the last call (names lower-cased), after settling. */
    async take () {
      await settle()
      return seen.splice(0)
    },
    async stop () {
      monitor.disconnect()
      await marker.quit()
    }
  }
}
