// Percentage bucketing, identical to the gradual rollout of Unleash's Node
// SDK: the same object of the same flag lands in the same bucket in both, so
// a rollout moved from Unleash keeps its users.

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

/**
 * MurmurHash3, x86 32-bit, over the low byte of each UTF-16 code unit of
 * `key` (not its UTF-8 bytes): what the `murmurhash3js` package computes,
 * which Unleash's Node SDK uses. For ASCII keys the two are the same; for
 * other characters only this matches Unleash.
 */
export function murmurHash3 (key: string, seed = 0): number {
  const length = key.length
  const tail = length & 3
  const blocks = length - tail
  let h1 = seed | 0
  let at = 0
  while (at < blocks) {
    let k1 = (key.charCodeAt(at) & 0xff) |
      ((key.charCodeAt(at + 1) & 0xff) << 8) |
      ((key.charCodeAt(at + 2) & 0xff) << 16) |
      ((key.charCodeAt(at + 3) & 0xff) << 24)
    at += 4
    k1 = Math.imul(k1, C1)
    k1 = (k1 << 15) | (k1 >>> 17)
    h1 ^= Math.imul(k1, C2)
    h1 = (h1 << 13) | (h1 >>> 19)
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0
  }
  if (tail > 0) {
    let k1 = key.charCodeAt(at) & 0xff
    if (tail > 1) k1 |= (key.charCodeAt(at + 1) & 0xff) << 8
    if (tail > 2) k1 |= (key.charCodeAt(at + 2) & 0xff) << 16
    k1 = Math.imul(k1, C1)
    k1 = (k1 << 15) | (k1 >>> 17)
    h1 ^= Math.imul(k1, C2)
  }
  h1 ^= length
  h1 ^= h1 >>> 16
  h1 = Math.imul(h1, 0x85ebca6b)
  h1 ^= h1 >>> 13
  h1 = Math.imul(h1, 0xc2b2ae35)
  h1 ^= h1 >>> 16
  return h1 >>> 0
}

/**
 * The bucket of an object for a flag (or a sample sticky by id), 1 to 100:
 * MurmurHash3 of `"<name>:<objectId>"` with seed 0, modulo 100, plus one.
 * A rollout of `p` % covers the objects whose bucket is at most `p`, so
 * widening it keeps everyone it covered.
 */
export function bucket (name: string, objectId: string): number {
  return (murmurHash3(`${name}:${objectId}`, 0) % 100) + 1
}

/** Whether a bucket falls inside a percentage: Unleash's rule, `p > 0 && bucket <= p`. */
export function inBucket (bucketOf: number, percentage: number): boolean {
  return percentage > 0 && bucketOf <= percentage
}
