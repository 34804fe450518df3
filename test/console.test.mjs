// The console page as served (without a browser): what it shows for
// reading with JavaScript off, and the controls it offers when writes are
// open. test/browser/ drives it in Chromium.
import assert from 'node:assert/strict'
import { beforeEach, test } from 'node:test'
import { Flag, Sample, Switch, definitions, pancakeRoutes } from '../dist/index.mjs'
import { buildApp } from './helpers/app.mjs'
import { redisForThisFile } from './helpers/redis.mjs'

const redis = redisForThisFile()
beforeEach(async () => {
  definitions.clear()
  await redis.flush()
})

const HTML = { accept: 'text/html' }
const open = async () => {}

async function consoleApp (routes = {}, more = []) {
  const client = await redis.connected()
  return await buildApp([{ redis: client, groupFuncs: { user: () => undefined, team: () => undefined } }, ...more], async (app) => {
    await app.register(pancakeRoutes, { prefix: '/ops', overview: { onRequest: open }, ...routes })
  })
}

const page = async (app, query = '') => (await app.inject({ url: `/ops/overview${query}`, headers: HTML })).body

test('the script is served by the routes as JavaScript, and the page loads only it', async (t) => {
  const app = await consoleApp()
  t.after(() => app.close())
  const script = await app.inject('/ops/console.js')
  assert.equal(script.statusCode, 200)
  assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8')
  assert.equal(script.headers['x-content-type-options'], 'nosniff')
  assert.match(script.body, /fetch\(base \+ '\/changes\//)
  const response = await app.inject({ url: '/ops/overview', headers: HTML })
  const csp = response.headers['content-security-policy']
  assert.match(csp, /script-src 'self'/)
  assert.doesNotMatch(csp, /unsafe-inline'[^;]*;.*script|script-src[^;]*unsafe/)
  assert.match(csp, /frame-ancestors 'none'/)
  assert.deepEqual(response.body.match(/<script[^>]*>[^<]*<\/script>/g), ['<script src="/ops/console.js" defer></script>'])
})

test('controls only when writes are open, hidden until the script runs; global changes ask first', async (t) => {
  define(new Switch('Lights', false, { description: 'Porch lights' }))
  define(new Flag('Beta', false))
  define(new Sample('Odds', 10))
  const closed = await consoleApp()
  const readOnly = await page(closed)
  await closed.close()
  assert.ok(!readOnly.includes('data-change'))
  assert.ok(!readOnly.includes('add-override'))

  const app = await consoleApp({ write: { onRequest: open } })
  t.after(() => app.close())
  const html = await page(app)
  assert.match(html, /<td><div class="js-only" hidden><button type="button" data-change="\{&quot;kind&quot;:&quot;switch&quot;,&quot;name&quot;:&quot;Lights&quot;,&quot;action&quot;:&quot;enable&quot;\}" data-confirm="Turn switch Lights on for everyone\?" aria-label="Turn switch Lights on">Turn on<\/button>/)
  assert.match(html, /<form class="add-override js-only" hidden data-flag="Beta" data-group="user">\n<label>Object id in user <input name="objectId" required autocomplete="off"><\/label>/)
  assert.match(html, /<label>Percentage of Odds <input type="number" name="value" min="0" max="100" step="any" required value="10"><\/label>/)
  assert.match(html, /<div class="description">Porch lights<\/div>/)
  assert.match(html, /<form class="set-rollout js-only" hidden data-flag="Beta" data-group="team">\n<label>Rollout of Beta in team, % <input type="number" name="value" min="0" max="100" step="any" required value=""><\/label>/)
})

test('overrides listed from the tracking sets, 20 at a time; later pages by link without JavaScript', async (t) => {
  define(new Flag('Many', false))
  const app = await consoleApp()
  t.after(() => app.close())
  const client = redis.client()
  const pipeline = client.pipeline()
  for (let i = 0; i < 45; i++) {
    pipeline.set(`FLAG:pancake:k:user:MANY:id${i}`, '1')
    pipeline.sadd('FLAG:pancake:t:user:MANY', `FLAG:pancake:k:user:MANY:id${i}`)
  }
  await pipeline.exec()
  const seen = new Set()
  let html = await page(app)
  for (let pages = 0; pages < 10; pages++) {
    for (const [, id] of html.matchAll(/<li><code>(id\d+)<\/code>: <span class="yes">Yes<\/span><\/li>/g)) seen.add(id)
    const more = html.match(/<a class="more" data-flag="Many" data-group="user" data-cursor="(\d+)" href="([^"]+)"/)
    if (more === null) break
    html = await page(app, more[2].replace(/&amp;/g, '&').replace(/#.*/, ''))
  }
  assert.equal(seen.size, 45)
})

test('filter, instance switcher, last change, history and "what does an object see?" work with plain GETs', async (t) => {
  const lights = new Switch('Lights', false)
  define(new Switch('Fans', false, { description: 'ceiling fans' }))
  const beta = new Flag('Beta', false)
  define(new Switch('Other', false, 'second'))
  const app = await consoleApp({}, [{ name: 'second', redis: await redis.connected() }])
  t.after(() => app.close())
  await app.pancakes.run(async () => {
    await lights.enable()
    await beta.enableGroup('team', 'red')
    await beta.setRollout('user', 100)
  }, { actor: 'dora' })

  const filtered = await page(app, '?q=FAN')
  assert.ok(filtered.includes('<code>Fans</code>'))
  assert.ok(!filtered.includes('<code>Lights</code>'))
  assert.ok((await page(app, '?q=ceiling')).includes('<code>Fans</code>'))

  const html = await page(app)
  assert.match(html, /<nav aria-label="Pancake instances"><ul class="instances"><li><a href="\/ops\/overview\/pancake" aria-current="page">pancake<\/a><\/li><li><a href="\/ops\/overview\/second">second<\/a><\/li><\/ul><\/nav>/)
  assert.match(html, /<code>Lights<\/code><\/th>.*<td>dora <span class="source">\(api\)<\/span><br><time datetime="[^"]+">/)
  assert.match(html, /<h2 id="history">History<\/h2>[\s\S]*<td>dora<\/td><td>api<\/td><td>flag Beta, team red: \(none\) → 1<\/td>/)

  const sees = await page(app, '?seeGroup=team&see=red')
  assert.match(sees, /<caption>What <code>team red<\/code> sees<\/caption>.*<code>Beta<\/code><\/th><td><span class="yes">Yes<\/span><\/td><td>override for team red<\/td>/)
  const other = await page(app, '?seeGroup=team&see=blue')
  assert.match(other, /<code>Beta<\/code><\/th><td><span class="no">No<\/span><\/td><td>global value<\/td>/)
  assert.equal((await app.inject({ url: '/ops/overview?seeGroup=nope&see=1', headers: HTML })).statusCode, 400)
  assert.match(html, /<p class="rollout">Rolled out to 100&nbsp;%<\/p>/)
  assert.match(await page(app, '?seeGroup=user&see=zed'), /<code>Beta<\/code><\/th><td><span class="yes">Yes<\/span><\/td><td>rollout of 100 % in user \(bucket \d+\)<\/td>/)
  assert.ok((await page(app, '/second')).includes('<code>Other</code>'))
})

test('a bad description fails when the definition is made', () => {
  assert.throws(() => new Switch('Described', false, { description: 5 }), /description/)
})

function define () {}
