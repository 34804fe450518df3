// A change made with the `pancake` executable, in a process of its own, is
// seen by a running app: served on a port, asked over HTTP.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { build } from './fixtures/cli/build.mjs'
import { cliAgainstRedis } from './helpers/cli.mjs'

const { redis, ok } = cliAgainstRedis()

describe('a running app', () => {
  for (const cache of [false, undefined]) {
    test(`sees a change made with the CLI on its next request (cache: ${cache ?? 'default'})`, async () => {
      const app = build({ redis: redis.url, cache })
      await app.listen({ port: 0, host: '127.0.0.1' })
      const url = `http://127.0.0.1:${app.server.address().port}/state`
      try {
        const state = async (headers = {}) => await (await fetch(url, { headers })).json()
        assert.deepEqual(await state({ 'x-user': '42' }), { DO_SOMETHING_ELSE: true, FOO_CAN_DO: false, MY_ODDS: 42, NEW_CHECKOUT: true, MAINTENANCE: false })

        await ok(['flags', 'enable-group', 'FOO_CAN_DO', 'user', '42'])
        assert.equal((await state({ 'x-user': '42' })).FOO_CAN_DO, true)
        assert.equal((await state({ 'x-user': '43' })).FOO_CAN_DO, false)

        await ok(['switches', 'enable', 'MAINTENANCE'])
        assert.equal((await state()).MAINTENANCE, true)

        await ok(['samples', 'set', 'MY_ODDS', '13'])
        assert.equal((await state()).MY_ODDS, 13)

        await ok(['flags', 'disable', 'DO_SOMETHING_ELSE'])
        assert.equal((await state()).DO_SOMETHING_ELSE, false)

        await ok(['flags', 'clear-group', 'FOO_CAN_DO', 'user', '42'])
        assert.equal((await state({ 'x-user': '42' })).FOO_CAN_DO, false)
      } finally {
        await app.close()
      }
    })
  }
})
