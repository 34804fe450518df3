// The console in a real browser: Chromium logs in through the app's own
// hook and changes things, as an operator would.
import assert from 'node:assert/strict'
import { after, beforeEach, test } from 'node:test'
import { browserForThisFile } from '../helpers/browser.mjs'
import { pancake } from '../fixtures/cli/run.mjs'
import { redisForThisFile } from '../helpers/redis.mjs'
import { consoleServer } from './app.mjs'

const browser = browserForThisFile()
let client
let server
const redis = redisForThisFile(async (redis) => {
  client = redis.client()
  server = await consoleServer(redis.url)
})
after(async () => { await server?.app.close() })
beforeEach(async () => {
  await redis.flush()
  // The app's near-cache learns of the flush at its next re-read; start
  // every test from the stored defaults, as a fresh app would.
  await server.app.pancakes.get().store.resync()
})

/** A page logged in as `user`, on the console; dialogs accepted. */
async function loggedIn (t, user = 'ann') {
  const context = await browser.browser.newContext()
  t.after(() => context.close())
  const page = await context.newPage()
  page.on('dialog', (dialog) => { dialog.accept() })
  await page.goto(`${server.url}/login?user=${user}`)
  await page.waitForSelector('#console')
  return page
}

/** Clicks and waits for the reload the change causes. */
async function changeAndReload (page, click) {
  await Promise.all([page.waitForNavigation(), click()])
}

// The entries of the console's and the CLI's changes. The flush between
// tests is a change made outside the library, which the app may record too.
const entries = async () => (await client.xrange('PANCAKE:pancake:audit', '-', '+')).map(([, flat]) => {
  const entry = {}
  for (let i = 0; i < flat.length; i += 2) entry[flat[i]] = flat[i + 1]
  return entry
}).filter((entry) => entry.source !== 'outside')

test('without logging in, the console is refused', async (t) => {
  const context = await browser.browser.newContext()
  t.after(() => context.close())
  const response = await (await context.newPage()).goto(`${server.url}/ops/overview`)
  assert.equal(response.status(), 401)
})

test('toggle a switch: Redis changes, the audit trail has the entry, the page shows who', async (t) => {
  const page = await loggedIn(t, 'ann')
  assert.equal(await client.get('SWITCH:pancake:MAINTENANCE'), '0')
  await changeAndReload(page, () => page.getByRole('button', { name: 'Turn switch MAINTENANCE on' }).click())
  assert.equal(await client.get('SWITCH:pancake:MAINTENANCE'), '1')
  assert.deepEqual(await entries(), [{ actor: 'ann', source: 'route', kind: 'switch', name: 'MAINTENANCE', target: 'value', before: '0', after: '1' }])
  const row = page.locator('tr', { has: page.locator('code', { hasText: /^MAINTENANCE$/ }) })
  assert.match(await row.innerText(), /Yes\s+\(not the default\)[\s\S]*ann \(route\)/)
  assert.match(await page.locator('#history ~ table').innerText(), /ann\s+route\s+switch MAINTENANCE: 0 → 1/)
})

test('add an override, then remove it, with the keyboard', async (t) => {
  const page = await loggedIn(t, 'bo')
  const form = page.locator('form.add-override[data-flag="FOO_CAN_DO"][data-group="user"]')
  await form.getByLabel('Object id in user').fill('42')
  await form.getByLabel('Value').selectOption('enable-group')
  await changeAndReload(page, () => form.getByLabel('Object id in user').press('Enter'))
  assert.equal(await client.get('FLAG:pancake:k:user:FOO_CAN_DO:42'), '1')
  assert.deepEqual(await client.smembers('FLAG:pancake:t:user:FOO_CAN_DO'), ['FLAG:pancake:k:user:FOO_CAN_DO:42'])

  const remove = page.locator('#flag-FOO_CAN_DO').getByRole('button', { name: 'Remove the override of user 42' })
  await remove.focus()
  await changeAndReload(page, () => page.keyboard.press('Enter'))
  assert.equal(await client.exists('FLAG:pancake:k:user:FOO_CAN_DO:42'), 0)
  assert.equal(await client.exists('FLAG:pancake:t:user:FOO_CAN_DO'), 0)
  assert.deepEqual((await entries()).map(({ actor, target, objectId, after }) => [actor, target, objectId, after]), [
    ['bo', 'override', '42', '1'],
    ['bo', 'override', '42', undefined]
  ])
})

test('page through 1,000 tracked overrides', async (t) => {
  const pipeline = client.pipeline()
  for (let i = 0; i < 1000; i++) {
    pipeline.set(`FLAG:pancake:k:user:BIG_BETA:tester${i}`, i % 3 === 0 ? '0' : '1')
    pipeline.sadd('FLAG:pancake:t:user:BIG_BETA', `FLAG:pancake:k:user:BIG_BETA:tester${i}`)
  }
  await pipeline.exec()
  const page = await loggedIn(t)
  const group = page.locator('#flag-BIG_BETA .group[data-group="user"]')
  const more = group.getByRole('link', { name: 'More overrides of user' })
  for (let pages = 1; await more.count() > 0; pages++) {
    assert.ok(pages < 100, 'too many pages')
    const before = await group.locator('li').count()
    await more.click()
    await page.waitForFunction(([selector, count]) => document.querySelectorAll(selector).length > count || document.querySelector(`${selector.replace(' li', '')} a.more`) === null,
      ['#flag-BIG_BETA .group[data-group="user"] li', before])
  }
  const ids = await group.locator('li code').allInnerTexts()
  assert.equal(ids.length, 1000)
  assert.equal(new Set(ids).size, 1000)
})

test('a change made with the CLI shows after a reload', async (t) => {
  const page = await loggedIn(t)
  const row = page.locator('tr', { has: page.locator('code', { hasText: /^MY_ODDS$/ }) })
  assert.match(await row.innerText(), /^MY_ODDS\s+42\s%/)
  const result = await pancake(['--app', 'app.mjs', 'samples', 'set', 'MY_ODDS', '7', '--actor', 'cli-carol'], { env: { PANCAKE_TEST_REDIS: redis.url } })
  assert.equal(result.code, 0, result.stderr)
  await page.reload()
  assert.match(await row.innerText(), /^MY_ODDS\s+7\s%\s+\(not the default\)\s+42\s%\s+cli-carol \(cli\)/)
})

test('a cross-origin page cannot write: its form post and its text/plain fetch are refused', async (t) => {
  // Another origin on the same host (another port): the same site, so the
  // session cookie (SameSite=Lax) goes along; the routes still refuse.
  const evil = (await import('fastify')).default()
  const target = `${server.url}/ops/changes`
  evil.get('/', async (_request, reply) => reply.type('text/html').send(`<!doctype html>
<form id="form" method="post" action="${target}" enctype="text/plain">
<input name='{"kind":"switch","name":"MAINTENANCE","action":"enable","x":"' value='"}'>
<button>Go</button>
</form>`))
  await evil.listen({ host: '127.0.0.1', port: 0 })
  t.after(() => evil.close())
  const page = await loggedIn(t, 'mallory')
  await page.goto(`http://127.0.0.1:${evil.server.address().port}/`)

  const fetched = await page.evaluate(async (url) => {
    await fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ kind: 'switch', name: 'MAINTENANCE', action: 'enable' }) })
    return 'sent'
  }, target)
  assert.equal(fetched, 'sent')
  const [response] = await Promise.all([page.waitForNavigation(), page.click('button')])
  assert.equal(response.status(), 403)
  assert.match(await page.content(), /FST_PANCAKE_CROSS_SITE_WRITE/)
  assert.equal(await client.get('SWITCH:pancake:MAINTENANCE'), '0')
  assert.deepEqual(await entries(), [])
})
