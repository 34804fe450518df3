// A TCP proxy between the library and a real redis-server, for the faults
// Redis cannot make on demand: a stall of a chosen length (traffic held, the
// connections kept), a connection cut mid-command, a server that refuses
// connections for a while.
import { once } from 'node:events'
import { connect, createServer } from 'node:net'

/**
 * Listens on a free port of 127.0.0.1 and forwards every connection to
 * `target` (a port of 127.0.0.1).
 * @param {number} target
 */
export async function startProxy (target) {
  const pairs = new Set()
  let stalled = false
  let refusing = false
  let trap

  const server = createServer((client) => {
    if (refusing) {
      client.destroy()
      return
    }
    const upstream = connect(target, '127.0.0.1')
    const pair = { client, upstream, held: false, queue: [] }
    pairs.add(pair)
    const forward = (from, to, inspect) => {
      from.on('data', (chunk) => {
        if (inspect && trap !== undefined && trap.pattern.test(chunk.toString('latin1'))) {
          pair.held = true
          trap.caught()
          trap = undefined
        }
        if (stalled || pair.held) pair.queue.push([to, chunk])
        else to.write(chunk)
      })
    }
    forward(client, upstream, true)
    forward(upstream, client, false)
    const end = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('close', end)
    upstream.on('close', end)
    client.on('error', () => {})
    upstream.on('error', () => {})
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    /** How many connections go through the proxy now. */
    get connections () { return pairs.size },
    /** Holds every byte, both ways, on every connection, old and new, until release(). */
    stall () { stalled = true },
    /**
     * Holds what a client sends on the connection whose next chunk matches
     * `pattern`, from that chunk on, until release(). Resolves once caught.
     * @param {RegExp} pattern
     */
    holdWhen (pattern) {
      return new Promise((resolve) => { trap = { pattern, caught: resolve } })
    },
    /** Sends what was held, in order, and forwards again. */
    release () {
      stalled = false
      for (const pair of pairs) {
        pair.held = false
        for (const [to, chunk] of pair.queue.splice(0)) to.write(chunk)
      }
    },
    /** Cuts every connection; what was held is lost. */
    drop () {
      for (const pair of [...pairs]) {
        pair.queue.length = 0
        pair.client.destroy()
        pair.upstream.destroy()
      }
      pairs.clear()
    },
    /** While on, a new connection is closed as soon as it is made. */
    refuse (on = true) { refusing = on },
    async close () {
      this.drop()
      server.close()
      await once(server, 'close')
    }
  }
}
