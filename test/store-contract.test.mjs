// The contract every PancakeStore keeps, run against the memory store and the
// Redis store alike: the library relies on nothing a store does beyond this.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { beforeEach, describe, test } from 'node:test'
import { MemoryStore, RedisStore, WRONG_TYPE } from '../dist/index.mjs'
import { redisForThisFile } from './helpers/redis.mjs'

const redis = redisForThisFile()

/**
 * @param {string} name
 * @param {() => Promise<{ store: import('../dist/index.js').PancakeStore, members: (key: string) => Promise<string[]> }>} makeStore
 *   a fresh, empty store and a way to list the members of one of its sets.
 */
function contract (name, makeStore) {
  describe(`${name} store contract`, () => {
    let store
    let members
    beforeEach(async () => { ({ store, members } = await makeStore()) })

    const sorted = async (key) => (await members(key)).sort()

    test('read of an absent plain key is null', async () => {
      assert.deepEqual(await store.read([], ['absent']), [null])
    })

    test('read of no keys is an empty list', async () => {
      assert.deepEqual(await store.read([], []), [])
    })

    test('read with init stores the value of an absent key and returns it', async () => {
      assert.deepEqual(await store.read([['SWITCH:pancake:A', '1']], []), ['1'])
      assert.deepEqual(await store.read([], ['SWITCH:pancake:A']), ['1'])
    })

    test('read with init keeps a present value (SETNX semantics)', async () => {
      await store.set('SWITCH:pancake:A', '0')
      assert.deepEqual(await store.read([['SWITCH:pancake:A', '1']], []), ['0'])
      assert.deepEqual(await store.read([], ['SWITCH:pancake:A']), ['0'])
    })

    test('read returns init keys then plain keys, each in the order given', async () => {
      await store.set('p1', 'one')
      await store.set('i2', 'kept')
      await store.set('p3', 'three')
      const values = await store.read(
        [['i1', 'a'], ['i2', 'b'], ['i3', 'c']],
        ['p1', 'p2', 'p3', 'i1']
      )
      assert.deepEqual(values, ['a', 'kept', 'c', 'one', null, 'three', 'a'])
    })

    test('read does not store anything for plain keys', async () => {
      await store.read([], ['plain'])
      assert.deepEqual(await store.read([], ['plain']), [null])
    })

    test('set stores and overwrites; delete removes; deleting an absent key is fine', async () => {
      await store.set('k', '1')
      assert.deepEqual(await store.read([], ['k']), ['1'])
      await store.set('k', '13.0')
      assert.deepEqual(await store.read([], ['k']), ['13.0'])
      await store.delete('k')
      assert.deepEqual(await store.read([], ['k']), [null])
      await store.delete('k')
      assert.deepEqual(await store.read([], ['k']), [null])
    })

    test('values are kept byte for byte', async () => {
      const value = ' 42\u00e9:\u2603 '
      await store.set('FLAG:pancake:k:user:F:\u00fc:x', value)
      assert.deepEqual(await store.read([], ['FLAG:pancake:k:user:F:\u00fc:x']), [value])
    })

    test('setTracked sets the key and adds the full key string to the tracking set', async () => {
      const tracking = 'FLAG:pancake:t:user:F'
      const k1 = 'FLAG:pancake:k:user:F:1'
      const k2 = 'FLAG:pancake:k:user:F:\u00fc:2'
      await store.setTracked(k1, tracking, '1')
      assert.deepEqual(await sorted(tracking), [k1])
      await store.setTracked(k2, tracking, '0')
      await store.setTracked(k1, tracking, '0')
      assert.deepEqual(await sorted(tracking), [k1, k2].sort())
      assert.deepEqual(await store.read([], [k1, k2]), ['0', '0'])
    })

    test('deleteTracked deletes the key and removes it from the set; the last one removes the set', async () => {
      const tracking = 'FLAG:pancake:t:user:F'
      const k1 = 'FLAG:pancake:k:user:F:1'
      const k2 = 'FLAG:pancake:k:user:F:2'
      await store.setTracked(k1, tracking, '1')
      await store.setTracked(k2, tracking, '1')
      await store.deleteTracked(k1, tracking)
      assert.deepEqual(await store.read([], [k1, k2]), [null, '1'])
      assert.deepEqual(await sorted(tracking), [k2])
      await store.deleteTracked(k2, tracking)
      assert.deepEqual(await sorted(tracking), [])
      assert.deepEqual(await store.read([], [k2, tracking]), [null, null])
    })

    test('deleteTracked of a key that was never tracked deletes it and leaves the set alone', async () => {
      const tracking = 'FLAG:pancake:t:user:F'
      await store.setTracked('tracked', tracking, '1')
      await store.set('untracked', '1')
      await store.deleteTracked('untracked', tracking)
      assert.deepEqual(await store.read([], ['untracked', 'tracked']), [null, '1'])
      assert.deepEqual(await sorted(tracking), ['tracked'])
      await store.deleteTracked('nothing', 'FLAG:pancake:t:user:NONE')
      assert.deepEqual(await store.read([], ['FLAG:pancake:t:user:NONE']), [null])
    })

    test('clearTracked deletes every tracked key and the set, nothing else', async () => {
      const tracking = 'FLAG:pancake:t:user:F'
      const keys = ['FLAG:pancake:k:user:F:1', 'FLAG:pancake:k:user:F:2', 'FLAG:pancake:k:user:F:3']
      for (const key of keys) await store.setTracked(key, tracking, '1')
      await store.set('FLAG:pancake:k:user:F:untracked', '1')
      await store.setTracked('FLAG:pancake:k:user:G:1', 'FLAG:pancake:t:user:G', '1')
      assert.deepEqual(await store.clearTracked(tracking, 'FLAG:pancake:k:user:F:'), [])
      assert.deepEqual(await store.read([], [...keys, tracking]), [null, null, null, null])
      assert.deepEqual(await sorted(tracking), [])
      assert.deepEqual(await store.read([], ['FLAG:pancake:k:user:F:untracked', 'FLAG:pancake:k:user:G:1']), ['1', '1'])
      assert.deepEqual(await sorted('FLAG:pancake:t:user:G'), ['FLAG:pancake:k:user:G:1'])
    })

    test('clearTracked deletes only keys under the prefix, and returns the other members untracked', async () => {
      const tracking = 'FLAG:pancake:t:user:F'
      await store.setTracked('FLAG:pancake:k:user:F:1', tracking, '1')
      // Named in the set by hand or by another program: not the flag's.
      await store.setTracked('unrelated:app:data', tracking, 'precious')
      await store.setTracked('FLAG:pancake:k:user:FF:1', tracking, '1')
      const others = await store.clearTracked(tracking, 'FLAG:pancake:k:user:F:')
      assert.deepEqual([...others].sort(), ['FLAG:pancake:k:user:FF:1', 'unrelated:app:data'])
      assert.deepEqual(await store.read([], ['FLAG:pancake:k:user:F:1', 'unrelated:app:data', 'FLAG:pancake:k:user:FF:1']), [null, 'precious', '1'])
      assert.deepEqual(await sorted(tracking), [])
    })

    test('clearTracked of an absent set is fine', async () => {
      await store.clearTracked('FLAG:pancake:t:user:NONE', 'FLAG:pancake:k:user:NONE:')
      assert.deepEqual(await store.read([], ['FLAG:pancake:t:user:NONE']), [null])
    })

    test('clearTracked deletes thousands of tracked keys at once', async () => {
      const tracking = 'FLAG:pancake:t:user:MANY'
      const keys = Array.from({ length: 2500 }, (_, i) => `FLAG:pancake:k:user:MANY:${i}`)
      await Promise.all(keys.map((key) => store.setTracked(key, tracking, '1')))
      assert.equal((await members(tracking)).length, 2500)
      await store.clearTracked(tracking, 'FLAG:pancake:k:user:MANY:')
      const values = await store.read([], [...keys, tracking])
      assert.ok(values.every((value) => value === null))
    })

    test('a key of another type reads as WRONG_TYPE, with or without init, and is kept', async () => {
      const tracking = 'FLAG:pancake:t:user:F'
      await store.setTracked('FLAG:pancake:k:user:F:1', tracking, '1')
      assert.deepEqual(await store.read([], [tracking]), [WRONG_TYPE])
      assert.deepEqual(await store.read([[tracking, '1']], ['FLAG:pancake:k:user:F:1']), [WRONG_TYPE, '1'])
      assert.deepEqual(await sorted(tracking), ['FLAG:pancake:k:user:F:1'])
    })

    test('setTracked against a tracking key of another type fails and changes nothing', async () => {
      await store.set('T', 'a string')
      await store.set('K', 'before')
      await assert.rejects(store.setTracked('K', 'T', '1'), /WRONGTYPE/)
      assert.deepEqual(await store.read([], ['K', 'T']), ['before', 'a string'])
      await assert.rejects(store.setTracked('NEW', 'T', '1'), /WRONGTYPE/)
      assert.deepEqual(await store.read([], ['NEW']), [null])
    })

    test('deleteTracked against a tracking key of another type fails and changes nothing', async () => {
      await store.set('T', 'a string')
      await store.set('K', '1')
      await assert.rejects(store.deleteTracked('K', 'T'), /WRONGTYPE/)
      assert.deepEqual(await store.read([], ['K', 'T']), ['1', 'a string'])
    })

    test('clearTracked against a key of another type fails and changes nothing', async () => {
      await store.set('T', 'a string')
      await assert.rejects(store.clearTracked('T', 'K:'), /WRONGTYPE/)
      assert.deepEqual(await store.read([], ['T']), ['a string'])
    })

    test('has a kind for logs', () => {
      assert.equal(typeof store.kind, 'string')
      assert.notEqual(store.kind, '')
    })
  })
}

contract('MemoryStore', async () => {
  const store = new MemoryStore()
  return { store, members: (key) => store.members(key) }
})

contract('RedisStore', async () => {
  await redis.flush()
  const client = redis.client()
  return { store: new RedisStore(client), members: (key) => client.smembers(key) }
})

// What only Redis can hold: values of other types made by hand or by other
// programs.
describe('RedisStore with keys of other Redis types', () => {
  let client
  let store
  beforeEach(async () => {
    await redis.flush()
    client = redis.client()
    store = new RedisStore(client)
  })

  test('a LIST or HASH reads as WRONG_TYPE and survives a read with init', async () => {
    await client.lpush('SWITCH:pancake:L', 'x')
    await client.hset('SAMPLE:pancake:H', 'f', 'v')
    assert.deepEqual(
      await store.read([['SWITCH:pancake:L', '1'], ['SAMPLE:pancake:H', '42']], ['SWITCH:pancake:L', 'absent']),
      [WRONG_TYPE, WRONG_TYPE, WRONG_TYPE, null]
    )
    assert.equal(await client.type('SWITCH:pancake:L'), 'list')
    assert.deepEqual(await client.hgetall('SAMPLE:pancake:H'), { f: 'v' })
  })

  test('a write against a LIST tracking key fails and changes nothing', async () => {
    await client.lpush('T', 'x')
    await client.set('K', 'before')
    await assert.rejects(store.setTracked('K', 'T', '1'), /WRONGTYPE/)
    await assert.rejects(store.deleteTracked('K', 'T'), /WRONGTYPE/)
    await assert.rejects(store.clearTracked('T', 'K:'), /WRONGTYPE/)
    assert.equal(await client.get('K'), 'before')
    assert.deepEqual(await client.lrange('T', 0, -1), ['x'])
  })

  test('does not close a client it was given', async () => {
    await store.close()
    assert.equal(await client.ping(), 'PONG')
  })

  test('closes a client it owns', async () => {
    const owned = await redis.connected()
    const ended = once(owned, 'end')
    await new RedisStore(owned, true).close()
    await ended
    assert.equal(owned.status, 'end')
  })
})
