// Chromium, driven by playwright-core: the Debian package's browser (never
// one downloaded by Playwright), one per test file.
import { existsSync } from 'node:fs'
import { after, before } from 'node:test'
import { chromium } from 'playwright-core'

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean)

/** The browser of this test file, launched before its tests and closed after them. */
export function browserForThisFile () {
  const handle = { browser: undefined }
  before(async () => {
    const executablePath = CANDIDATES.find((path) => existsSync(path))
    if (executablePath === undefined) throw new Error(`No Chromium found (tried ${CANDIDATES.join(', ')}): install Debian's chromium package, or set CHROMIUM_PATH`)
    // As root (CI), Chromium's sandbox cannot start.
    handle.browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] })
  })
  after(async () => { await handle.browser?.close() })
  return handle
}
