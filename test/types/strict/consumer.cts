// A CommonJS app: `require` resolves to the package's .d.ts types.
import Fastify = require('fastify')
import pancake = require('fastify-pancake')

const app = Fastify.fastify()
void app.register(pancake.fastifyPancake, { redis: false })
export const MAINTENANCE = new pancake.Switch('MAINTENANCE', false)
export async function maintenance (): Promise<boolean> {
  return await app.pancakes.run(async () => await MAINTENANCE.isActive())
}
