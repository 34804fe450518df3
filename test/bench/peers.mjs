// The same ten decisions made by fastify-pancake and by two other feature
// flag libraries evaluating locally, so their cost per request compares:
//
//   - 4 plain booleans (two on, two off);
//   - 4 flags targeted by user id and company, with overrides for some ids
//     (the request's user is overridden on one, its company on another; the
//     other two are decided by their global value, past overrides for other
//     ids);
//   - 2 percentage rollouts by user id (50 % and 10 %).
//
// fastify-pancake stores them in Redis (switches, flags with group overrides,
// flag rollouts; the near-cache warm); unleash-client evaluates a bootstrapped
// feature set with no server (no polling, no metrics, no backup file);
// @growthbook/growthbook evaluates a feature payload given at start.
import { createRequire } from 'node:module'
import { GrowthBookClient } from '@growthbook/growthbook'
import { Flag } from '../../dist/index.mjs'
import { FIRST_SIX, FLAGS, handler } from './checks.mjs'

const require = createRequire(import.meta.url)
const { Unleash, InMemStorageProvider } = require('unleash-client')

/** Two flags rolled out to a share of users, by user id. */
export const ROLLOUTS = [
  { flag: new Flag('BENCH_R1', false), percent: 50 },
  { flag: new Flag('BENCH_R2', false), percent: 10 }
]

/**
 * What the ten peer checks answer for the bench user (u1 of company c1);
 * every peer variant must give exactly this before it is measured.
 */
export const PEER_ANSWER = { s1: true, s2: false, s3: true, s4: false, f1: true, f2: false, f3: false, f4: true, r1: true, r2: false }

/** Writes the rollouts through the library (the overrides are {@link seed}'s). */
export async function seedPeers (app) {
  await app.pancakes.run(async () => {
    for (const { flag, percent } of ROLLOUTS) await flag.setRollout('user', percent)
  })
}

/** fastify-pancake: the route handler of R3r. */
export const pancakeChecks = handler({ ...FIRST_SIX, f3: FLAGS[2], f4: FLAGS[3], r1: ROLLOUTS[0].flag, r2: ROLLOUTS[1].flag })

const NAMES = { s1: 'BENCH_S1', s2: 'BENCH_S2', s3: 'BENCH_S3', s4: 'BENCH_S4', f1: 'BENCH_F1', f2: 'BENCH_F2', f3: 'BENCH_F3', f4: 'BENCH_F4', r1: 'BENCH_R1', r2: 'BENCH_R2' }

// Unleash: a feature is on when one of its strategies says so; a strategy's
// constraints must all hold. "Override off for these ids" is a constraint
// NOT_IN on the default strategy.
const on = { name: 'default', parameters: {}, constraints: [] }
const unleashFeatures = [
  { name: NAMES.s1, enabled: true, strategies: [on] },
  { name: NAMES.s2, enabled: false, strategies: [on] },
  { name: NAMES.s3, enabled: true, strategies: [on] },
  { name: NAMES.s4, enabled: false, strategies: [on] },
  { name: NAMES.f1, enabled: true, strategies: [{ name: 'userWithId', parameters: { userIds: 'u1' }, constraints: [] }] },
  { name: NAMES.f2, enabled: true, strategies: [{ name: 'default', parameters: {}, constraints: [{ contextName: 'company', operator: 'NOT_IN', values: ['c1'] }] }] },
  {
    name: NAMES.f3,
    enabled: true,
    strategies: [
      { name: 'userWithId', parameters: { userIds: 'u2' }, constraints: [] },
      { name: 'default', parameters: {}, constraints: [{ contextName: 'company', operator: 'IN', values: ['c2'] }] }
    ]
  },
  { name: NAMES.f4, enabled: true, strategies: [{ name: 'default', parameters: {}, constraints: [{ contextName: 'userId', operator: 'NOT_IN', values: ['u3'] }] }] },
  ...ROLLOUTS.map(({ flag, percent }) => ({
    name: flag.name,
    enabled: true,
    strategies: [{ name: 'flexibleRollout', parameters: { rollout: String(percent), stickiness: 'userId', groupId: flag.name }, constraints: [] }]
  }))
]

/**
 * An Unleash client that never talks to a server: the features come from
 * `bootstrap`, polling is off (`refreshInterval: 0`), metrics are off and
 * the backup lives in memory. The URL points at the discard port; the
 * variant counts outgoing connections to prove none is made.
 */
export async function startUnleash () {
  const unleash = new Unleash({
    appName: 'fastify-pancake-bench',
    url: 'http://127.0.0.1:9/api/',
    refreshInterval: 0,
    disableMetrics: true,
    skipInstanceCountWarning: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: { data: unleashFeatures }
  })
  unleash.on('error', () => {})
  await new Promise((resolve) => { unleash.once('ready', resolve) })
  return unleash
}

export function unleashChecks (unleash) {
  return async function checks (request) {
    const context = { userId: request.headers['x-user'], properties: { company: request.headers['x-company'] } }
    const answer = {}
    for (const key in NAMES) answer[key] = unleash.isEnabled(NAMES[key], context)
    return answer
  }
}

// GrowthBook: a feature's rules apply in order, the first whose condition
// matches forces the value; a rule with `coverage` includes that share of
// users by a hash of the attribute (GrowthBook's own hash, not Unleash's:
// the bench user u1 falls on the same side of both rollouts in all three).
const boolean = (value) => ({ defaultValue: value })
const growthBookFeatures = {
  [NAMES.s1]: boolean(true),
  [NAMES.s2]: boolean(false),
  [NAMES.s3]: boolean(true),
  [NAMES.s4]: boolean(false),
  [NAMES.f1]: { defaultValue: false, rules: [{ condition: { id: { $in: ['u1'] } }, force: true }] },
  [NAMES.f2]: { defaultValue: true, rules: [{ condition: { company: { $in: ['c1'] } }, force: false }] },
  [NAMES.f3]: { defaultValue: false, rules: [{ condition: { id: { $in: ['u2'] } }, force: true }, { condition: { company: { $in: ['c2'] } }, force: true }] },
  [NAMES.f4]: { defaultValue: true, rules: [{ condition: { id: { $in: ['u3'] } }, force: false }] },
  ...Object.fromEntries(ROLLOUTS.map(({ flag, percent }) => [flag.name, {
    defaultValue: false,
    rules: [{ force: true, coverage: percent / 100, hashAttribute: 'id', hashVersion: 2, seed: flag.name }]
  }]))
}

export function startGrowthBook () {
  return new GrowthBookClient({}).initSync({ payload: { features: growthBookFeatures } })
}

export function growthBookChecks (client) {
  return async function checks (request) {
    const gb = client.createScopedInstance({ attributes: { id: request.headers['x-user'], company: request.headers['x-company'] } })
    const answer = {}
    for (const key in NAMES) answer[key] = gb.isOn(NAMES[key])
    return answer
  }
}
