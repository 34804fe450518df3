// One throughput variant as a server process of its own:
//
//   node test/bench/server.mjs <variant> <redis-url> [port]
//
// Each variant gets a process so that none pays for another's setup: in
// Node 20 the first AsyncLocalStorage.run() turns on promise hooks for the
// whole process, which would slow the bare route down if it shared a process
// with the plugin. Sends { port } to the parent once listening; exits when
// the parent disconnects.
import { subscribe } from 'node:diagnostics_channel'
import cookie from '@fastify/cookie'
import { fastifyRequestContext } from '@fastify/request-context'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import pancake from '../../dist/index.mjs'
import { SWITCHES, checks, checksWithRollouts, checksWithoutSamples, groupFuncs, naiveChecks, seedMemory, setRollouts } from './checks.mjs'

const SECRET = 'a-benchmark-secret-of-at-least-32-characters'
const hello = async () => ({ hello: 'world' })
const TEN = ['s1', 's2', 's3', 's4', 'f1', 'f2', 'f3', 'f4', 'r1', 'r2']

// Every outgoing TCP connection of the process (Redis, HTTP, fetch), so the
// parent can tell that a peer evaluating locally made no network call.
let outgoing = 0
subscribe('net.client.socket', () => { outgoing++ })

/** Variant → how to build its app. */
export const VARIANTS = {
  R0: { label: 'bare Fastify route', build: async (app) => { app.get('/', hello) } },
  R1: {
    label: 'plugin registered, no checks',
    build: async (app) => {
      await app.register(cookie, { secret: SECRET })
      await app.register(pancake, { redis: false })
      app.get('/', hello)
    }
  },
  R2: {
    label: '10 checks, memory store',
    build: async (app) => {
      await app.register(cookie, { secret: SECRET })
      await app.register(pancake, { redis: false, groupFuncs })
      app.get('/', checks)
      app.addHook('onReady', async () => { await seedMemory(app) })
    }
  },
  R3: {
    label: '10 checks, Redis, cache warm',
    build: async (app, url) => {
      await app.register(cookie, { secret: SECRET })
      await app.register(pancake, { redis: url, groupFuncs })
      app.get('/', checks)
    }
  },
  R4: {
    label: '10 checks, Redis, cache off',
    build: async (app, url) => {
      await app.register(cookie, { secret: SECRET })
      await app.register(pancake, { redis: url, groupFuncs, cache: false })
      app.get('/', checks)
    }
  },
  R5: {
    label: '10 checks, naive (SETNX + GET per check)',
    build: async (app, url) => {
      const redis = new Redis(url)
      app.addHook('onClose', async () => { await redis.quit() })
      const naive = naiveChecks(redis)
      app.get('/', (request) => naive(request))
    }
  },
  R6: {
    label: '@fastify/request-context alone',
    build: async (app) => {
      await app.register(fastifyRequestContext)
      app.get('/', hello)
    }
  },
  // Not in the issue: parts of the cost, to see where the time goes.
  R3ns: {
    label: 'R3 without the 2 samples (8 checks, no sample cookie)',
    build: async (app, url) => {
      await app.register(cookie, { secret: SECRET })
      await app.register(pancake, { redis: url, groupFuncs })
      app.get('/', checksWithoutSamples)
    }
  },
  R3o: {
    label: 'R3 with two of its flags under rollout (a bucket computed per check)',
    build: async (app, url) => {
      await app.register(cookie, { secret: SECRET })
      await app.register(pancake, { redis: url, groupFuncs })
      app.get('/', checksWithRollouts)
      app.addHook('onReady', async () => { await setRollouts(app) })
    }
  },
  R1s: {
    label: 'R1 plus one switch check',
    build: async (app) => {
      await app.register(cookie, { secret: SECRET })
      await app.register(pancake, { redis: false })
      app.get('/', async () => ({ s1: await SWITCHES[0].isActive() }))
    }
  },
  Rz: {
    // What R3's handler costs with nothing behind its awaits but the sample
    // cookie, sent the way the library sends it: a Set-Cookie header
    // signed and serialised once per combination of outcomes.
    label: 'R1 plus ten awaits of settled promises and the signed sample cookie, no checks (the floor under R3)',
    build: async (app) => {
      await app.register(cookie, { secret: SECRET })
      await app.register(pancake, { redis: false })
      const settled = Promise.resolve(true)
      const header = app.serializeCookie('pancake', app.signCookie(JSON.stringify({ BENCH_P1: true, BENCH_P2: false })), { path: '/', httpOnly: true, sameSite: 'lax' })
      app.get('/', async (request, reply) => {
        const answer = {}
        for (const key of TEN) answer[key] = await settled
        reply.header('set-cookie', header)
        return answer
      })
    }
  },
  Rf: {
    // The floor of any check API that returns promises: the plugin's scope
    // and ten awaits of settled promises, nothing behind them, no cookie.
    label: 'R1 plus ten awaits of settled promises, no checks (the floor)',
    build: async (app) => {
      await app.register(cookie, { secret: SECRET })
      await app.register(pancake, { redis: false })
      const settled = Promise.resolve(true)
      app.get('/', async () => {
        const answer = {}
        for (const key of TEN) answer[key] = await settled
        return answer
      })
    }
  },
  // The same ten decisions as the peers: switches, flags with overrides,
  // rollouts by user id; no samples, so no cookie.
  R3r: {
    label: '4 switches, 4 flags with overrides, 2 rollouts; Redis, cache warm',
    build: async (app, url) => {
      const { pancakeChecks, seedPeers } = await import('./peers.mjs')
      await app.register(cookie, { secret: SECRET })
      await app.register(pancake, { redis: url, groupFuncs })
      app.get('/', pancakeChecks)
      app.addHook('onReady', async () => { await seedPeers(app) })
    }
  },
  Ru: {
    label: 'unleash-client, bootstrapped, offline: 10 × isEnabled',
    build: async (app) => {
      const { startUnleash, unleashChecks } = await import('./peers.mjs')
      const unleash = await startUnleash()
      app.addHook('onClose', async () => { unleash.destroy() })
      app.get('/', unleashChecks(unleash))
    }
  },
  Rg: {
    label: '@growthbook/growthbook, local evaluation: 10 × isOn',
    build: async (app) => {
      const { startGrowthBook, growthBookChecks } = await import('./peers.mjs')
      app.get('/', growthBookChecks(startGrowthBook()))
    }
  },
  Rc: {
    label: '@fastify/cookie alone (a dependency of R1-R4)',
    build: async (app) => {
      await app.register(cookie, { secret: SECRET })
      app.get('/', hello)
    }
  }
}

const [variant, url, port = '0'] = process.argv.slice(2)
if (variant !== undefined && import.meta.url === new URL(process.argv[1], 'file:').href) {
  const app = Fastify({ logger: false })
  await VARIANTS[variant].build(app, url)
  await app.listen({ port: Number(port), host: '127.0.0.1' })
  if (process.send !== undefined) {
    process.send({ port: app.server.address().port })
    // { outgoing: true } asks how many TCP connections the process opened.
    process.on('message', (message) => { if (message?.outgoing === true) process.send({ outgoing }) })
    process.once('disconnect', () => { app.close().then(() => process.exit(0)) })
  } else {
    // Started by hand, e.g. under --cpu-prof: stop on Ctrl-C.
    console.log(`${variant} listening on http://127.0.0.1:${app.server.address().port}/`)
    process.once('SIGINT', () => { app.close().then(() => process.exit(0)) })
  }
}
