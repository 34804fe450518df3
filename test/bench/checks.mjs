// The ten checks every "checks" variant answers: 4 switches, 4 flags walking
// 2 groups, 2 samples. The same definitions, keys and stored data for the
// library and for the naive flask-pancake-style code, so their answers match.
import { Flag, Sample, Switch } from '../../dist/index.mjs'

export const SWITCHES = [
  new Switch('BENCH_S1', true),
  new Switch('BENCH_S2', false),
  new Switch('BENCH_S3', true),
  new Switch('BENCH_S4', false)
]
export const FLAGS = [
  new Flag('BENCH_F1', false),
  new Flag('BENCH_F2', true),
  new Flag('BENCH_F3', false),
  new Flag('BENCH_F4', true)
]
// 100 % and 0 %, so every variant gives the same answer on every request.
export const SAMPLES = [
  new Sample('BENCH_P1', 100),
  new Sample('BENCH_P2', 0)
]

/** What the ten checks answer for {@link HEADERS}, whatever the variant. */
export const CHECKS_ANSWER = { s1: true, s2: false, s3: true, s4: false, f1: true, f2: false, f3: false, f4: true, p1: true, p2: false }

/** Who is asking, the same on every request of the load generator. */
export const HEADERS = { 'x-user': 'u1', 'x-company': 'c1' }

export const groupFuncs = {
  user: (request) => request.headers['x-user'],
  company: (request) => request.headers['x-company']
}

/**
 * Per-object overrides stored before the run: one flag decided by the user
 * group, one by the company group, two by their global value past overrides
 * for other ids; so a check walks every path.
 */
export const OVERRIDES = [
  ['FLAG:pancake:k:user:BENCH_F1:u1', '1', 'FLAG:pancake:t:user:BENCH_F1'],
  ['FLAG:pancake:k:company:BENCH_F2:c1', '0', 'FLAG:pancake:t:company:BENCH_F2'],
  ['FLAG:pancake:k:user:BENCH_F3:u2', '1', 'FLAG:pancake:t:user:BENCH_F3'],
  ['FLAG:pancake:k:company:BENCH_F3:c2', '1', 'FLAG:pancake:t:company:BENCH_F3'],
  ['FLAG:pancake:k:user:BENCH_F4:u3', '0', 'FLAG:pancake:t:user:BENCH_F4']
]

export async function seed (client) {
  for (const [key, value, tracking] of OVERRIDES) {
    await client.set(key, value)
    await client.sadd(tracking, key)
  }
}

/** The same overrides for the memory store, through the library. */
export async function seedMemory (app) {
  await app.pancakes.run(async () => {
    await FLAGS[0].enableGroup('user', 'u1')
    await FLAGS[1].disableGroup('company', 'c1')
    await FLAGS[2].enableGroup('user', 'u2')
    await FLAGS[2].enableGroup('company', 'c2')
    await FLAGS[3].disableGroup('user', 'u3')
  })
}

/**
 * A route handler written as an application would write it: one check
 * after the other, each answer under its name.
 */
export function handler (named) {
  const entries = Object.entries(named)
  return async function checks () {
    const answers = {}
    for (const [name, definition] of entries) answers[name] = await definition.isActive()
    return answers
  }
}

/** The switches and the first two flags: what every handler below checks first. */
export const FIRST_SIX = { s1: SWITCHES[0], s2: SWITCHES[1], s3: SWITCHES[2], s4: SWITCHES[3], f1: FLAGS[0], f2: FLAGS[1] }

/** The ten checks of R2-R4. */
export const checks = handler({ ...FIRST_SIX, f3: FLAGS[2], f4: FLAGS[3], p1: SAMPLES[0], p2: SAMPLES[1] })

/** {@link checks} without the samples: no sample cookie to sign and send. */
export const checksWithoutSamples = handler({ ...FIRST_SIX, f3: FLAGS[2], f4: FLAGS[3] })

/**
 * Two flags rolled out to half of the users and half of the companies, for
 * the variant that measures rollouts; flags of their own, so that their
 * rollouts change nothing for the other variants.
 */
export const ROLLED_OUT = [
  new Flag('BENCH_ROLLOUT_1', false),
  new Flag('BENCH_ROLLOUT_2', true)
]

export async function setRollouts (app) {
  await app.pancakes.run(async () => {
    await ROLLED_OUT[0].setRollout('user', 50)
    await ROLLED_OUT[1].setRollout('company', 50)
  })
}

/** {@link checks} with its two flags decided by their global value replaced by two under rollout. */
export const checksWithRollouts = handler({ ...FIRST_SIX, r1: ROLLED_OUT[0], r2: ROLLED_OUT[1], p1: SAMPLES[0], p2: SAMPLES[1] })

/**
 * The same ten checks the way flask-pancake 0.5.2 makes them, one command
 * per round trip: a switch is SETNX then GET; a flag GETs the object key of
 * each group until one holds a value, else reads its global value the way a
 * switch does; a sample is SETNX then GET, then a draw.
 */
export function naiveChecks (redis) {
  const toggle = async (definition) => {
    await redis.setnx(definition.key, definition.storedDefault)
    return (await redis.get(definition.key)) === '1'
  }
  const flag = async (definition, request) => {
    for (const [group, fn] of Object.entries(groupFuncs)) {
      const id = fn(request)
      if (id === undefined) continue
      const value = await redis.get(`FLAG:pancake:k:${group}:${definition.name.toUpperCase()}:${id}`)
      if (value === '1') return true
      if (value === '0') return false
    }
    return await toggle(definition)
  }
  const sample = async (definition) => {
    await redis.setnx(definition.key, definition.storedDefault)
    return Math.random() * 100 <= Number(await redis.get(definition.key))
  }
  return async function naive (request) {
    return {
      s1: await toggle(SWITCHES[0]),
      s2: await toggle(SWITCHES[1]),
      s3: await toggle(SWITCHES[2]),
      s4: await toggle(SWITCHES[3]),
      f1: await flag(FLAGS[0], request),
      f2: await flag(FLAGS[1], request),
      f3: await flag(FLAGS[2], request),
      f4: await flag(FLAGS[3], request),
      p1: await sample(SAMPLES[0]),
      p2: await sample(SAMPLES[1])
    }
  }
}
