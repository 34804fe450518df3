// A CommonJS app that uses the OpenFeature provider.
import Fastify = require('fastify')
import pancake = require('fastify-pancake')
import openfeature = require('fastify-pancake/openfeature')

const app = Fastify.fastify()
void app.register(pancake.fastifyPancake, { redis: false })
export const provider = new openfeature.PancakeProvider(app.pancakes, { instance: 'pancake' })
