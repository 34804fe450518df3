// Makes the screenshots of the console in docs/: `npm run screenshots`.
// The same app and browser as the browser tests, on a Redis of its own,
// with a few changes made by named people so every panel has something.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { startRedis } from '../helpers/redis.mjs'
import { BIG_BETA, DARK_MODE, consoleServer } from './app.mjs'
import { FOO_CAN_DO, MY_ODDS } from '../fixtures/cli/definitions.mjs'

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url))
const executablePath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => path && existsSync(path))
if (executablePath === undefined) throw new Error('No Chromium found: install Debian\'s chromium package, or set CHROMIUM_PATH')

const redis = await startRedis()
const server = await consoleServer(redis.url)
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] })
try {
  const { pancakes } = server.app
  await pancakes.run(async () => {
    await DARK_MODE.enable()
    await FOO_CAN_DO.enableGroup('user', 'alice')
    await FOO_CAN_DO.disableGroup('company', 'acme')
  }, { actor: 'dana' })
  await pancakes.run(async () => {
    for (let i = 1; i <= 30; i++) await BIG_BETA.enableGroup('user', `tester-${i}`)
    await MY_ODDS.set(25)
  }, { actor: 'release-bot' })

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 })
  const page = await context.newPage()
  await page.goto(`${server.url}/login?user=dana`)
  await page.waitForSelector('#console')
  await page.screenshot({ path: `${DOCS}console.png` })

  await page.goto(`${server.url}/ops/overview?seeGroup=user&see=alice#sees-h`)
  await page.locator('#sees-h').scrollIntoViewIfNeeded()
  await page.locator('section[aria-labelledby="sees-h"]').screenshot({ path: `${DOCS}console-sees.png` })
  await page.locator('section[aria-labelledby="history"]').screenshot({ path: `${DOCS}console-history.png` })
  console.log('Wrote docs/console.png, docs/console-sees.png and docs/console-history.png')
} finally {
  await browser.close()
  await server.app.close()
  await redis.stop()
}
