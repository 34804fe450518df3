// An ES module app that uses the OpenFeature provider: the subpath's types,
// with @openfeature/server-sdk installed beside the package.
import cookie from '@fastify/cookie'
import { OpenFeature } from '@openfeature/server-sdk'
import Fastify from 'fastify'
import pancake, { Flag, pancakeOfrep, type PancakeChange } from 'fastify-pancake'
import { PancakeProvider, type PancakeProviderOptions } from 'fastify-pancake/openfeature'

export const BETA = new Flag('BETA', false)

const app = Fastify()
await app.register(cookie, { secret: 'a secret of 32 characters or more' })
await app.register(pancake, { redis: false, groupFuncs: { user: () => undefined, org: () => undefined } })
await app.register(pancakeOfrep, { prefix: '/flags', trustedAttributes: ['org'] })
app.pancakes.on('change', (change: PancakeChange) => { app.log.info({ name: change.name, source: change.source }, 'changed') })

const options: PancakeProviderOptions = { targetingKey: 'user', attributes: { company: 'org' } }
OpenFeature.setProvider(new PancakeProvider(app, options))
await app.ready()
export const beta: boolean = await OpenFeature.getClient().getBooleanValue('BETA', false, { targetingKey: '42' })
