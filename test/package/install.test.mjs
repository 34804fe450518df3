// The package as an app installs it: `npm pack`, then `npm install` of the
// tarball into an empty app beside fastify and @fastify/cookie. Each of
// @fastify/cookie, fastify and ioredis is there once (the app's copy is the
// one the plugin uses), @fastify/redis only when the app installs it, the
// app runs, and its TypeScript compiles under the strictest settings
// without @fastify/redis. npm takes what it can from its cache.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { after, before, describe, test } from 'node:test'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const exec = promisify(execFile)
const NPM = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']
// An older @fastify/cookie than the package's own development copy, as an
// app's lockfile may hold: a peer dependency uses it, a dependency would
// install a second copy beside it.
const APP_COOKIE = '11.0.2'

let dir
const npm = async (...args) => await exec('npm', args, { cwd: dir, maxBuffer: 64 << 20 })

/** Every package of `npm ls --all --long --json`, by name: where each copy is installed. */
async function tree () {
  // npm ls exits 1 on a missing or invalid (peer) dependency: that is a failure too.
  const { stdout } = await npm('ls', '--all', '--long', '--json')
  const found = new Map()
  const walk = (node) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      // A deduped dependency is listed again, with the path of the one copy;
      // an optional peer dependency that is not installed, with none.
      if (child.path === undefined) continue
      found.set(name, new Set(found.get(name)).add(`${child.path.slice(dir.length + 1)}@${child.version}`))
      walk(child)
    }
  }
  walk(JSON.parse(stdout))
  return new Map([...found].map(([name, copies]) => [name, [...copies]]))
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pancake-consumer-'))
  const { stdout } = await exec('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: ROOT })
  const tarball = stdout.trim().split('\n').at(-1)
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  await npm('install', ...NPM, `./${tarball}`, 'fastify@5', `@fastify/cookie@${APP_COOKIE}`)
})

after(async () => { if (dir !== undefined) await rm(dir, { recursive: true, force: true }) })

describe('installed from its tarball', () => {
  test('one copy each of fastify, @fastify/cookie (the app\'s) and ioredis; no @fastify/redis', async () => {
    const found = await tree()
    assert.deepEqual(found.get('@fastify/cookie'), [`node_modules/@fastify/cookie@${APP_COOKIE}`])
    assert.equal(found.get('fastify')?.length, 1)
    assert.equal(found.get('ioredis')?.length, 1)
    assert.equal(found.get('@fastify/redis'), undefined)
    // The peers the app must have, and the optional ones: none of those is
    // installed for an app that did not ask for it.
    const manifest = JSON.parse(await readFile(join(dir, 'node_modules', 'fastify-pancake', 'package.json'), 'utf8'))
    const optional = Object.keys(manifest.peerDependenciesMeta).filter((name) => manifest.peerDependenciesMeta[name].optional === true)
    assert.deepEqual(Object.keys(manifest.peerDependencies).filter((name) => !optional.includes(name)).sort(), ['@fastify/cookie', 'fastify'])
    assert.ok(optional.includes('@fastify/redis'))
    for (const name of optional) assert.equal(found.get(name), undefined, name)
    assert.ok(optional.includes('@openfeature/server-sdk'))
  })

  test('an app runs on it, from import and from require', async () => {
    await writeFile(join(dir, 'app.mjs'), `
      import { createRequire } from 'node:module'
      import cookie from '@fastify/cookie'
      import Fastify from 'fastify'
      import pancake, { Sample } from 'fastify-pancake'
      const required = createRequire(import.meta.url)('fastify-pancake')
      const ODDS = new required.Sample('ODDS', 100)
      const app = Fastify()
      await app.register(cookie, { secret: 'a-secret-with-at-least-32-characters!!' })
      await app.register(pancake, { redis: false })
      app.get('/', async () => ({ odds: await ODDS.isActive(), same: Sample === required.Sample }))
      const response = await app.inject('/')
      console.log(JSON.stringify({ body: response.json(), cookie: response.cookies.map(({ name }) => name) }))
      await app.close()
    `)
    const { stdout } = await exec(process.execPath, ['app.mjs'], { cwd: dir })
    assert.deepEqual(JSON.parse(stdout), { body: { odds: true, same: true }, cookie: ['pancake'] })
  })

  test('a strict TypeScript app compiles against it, without @fastify/redis', async () => {
    const strict = join(ROOT, 'test', 'types', 'strict')
    for (const file of ['tsconfig.json', 'consumer.mts', 'consumer.cts']) await cp(join(strict, file), join(dir, file))
    // The app has no @types/node of its own: the package's development copy stands in.
    const tsconfig = await readFile(join(dir, 'tsconfig.json'), 'utf8')
    await writeFile(join(dir, 'tsconfig.json'), tsconfig.replace('"types": ["node"],', `"types": ["node"], "typeRoots": [${JSON.stringify(join(ROOT, 'node_modules', '@types'))}],`))
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    const result = await exec(process.execPath, [tsc, '-p', dir], { cwd: dir }).catch((err) => err)
    assert.equal(result.stdout, '')
    assert.equal(result.code, undefined)
  })

  test('with @openfeature/server-sdk added by the app: the provider runs from import and require, and compiles strictly', async () => {
    await npm('install', ...NPM, '@openfeature/server-sdk@1')
    await writeFile(join(dir, 'provider.mjs'), `
      import { createRequire } from 'node:module'
      import cookie from '@fastify/cookie'
      import Fastify from 'fastify'
      import { OpenFeature } from '@openfeature/server-sdk'
      import pancake, { Switch } from 'fastify-pancake'
      import { PancakeProvider } from 'fastify-pancake/openfeature'
      const required = createRequire(import.meta.url)('fastify-pancake/openfeature')
      new Switch('LIVE', true)
      const app = Fastify()
      await app.register(cookie, { secret: 'a-secret-with-at-least-32-characters!!' })
      await app.register(pancake, { redis: false })
      await app.ready()
      await OpenFeature.setProviderAndWait(new PancakeProvider(app))
      console.log(JSON.stringify({ live: await OpenFeature.getClient().getBooleanValue('LIVE', false), same: PancakeProvider === required.PancakeProvider }))
      await OpenFeature.close()
      await app.close()
    `)
    const { stdout } = await exec(process.execPath, ['provider.mjs'], { cwd: dir })
    assert.deepEqual(JSON.parse(stdout), { live: true, same: true })

    const strict = join(ROOT, 'test', 'types', 'strict')
    for (const file of ['openfeature.json', 'openfeature.mts', 'openfeature.cts']) await cp(join(strict, file), join(dir, file))
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    const result = await exec(process.execPath, [tsc, '-p', join(dir, 'openfeature.json')], { cwd: dir }).catch((err) => err)
    assert.equal(result.stdout, '')
    assert.equal(result.code, undefined)
  })

  test('with @fastify/redis added by the app: one copy of it, and still one ioredis', async () => {
    await npm('install', ...NPM, '@fastify/redis@9')
    const found = await tree()
    assert.equal(found.get('@fastify/redis')?.length, 1)
    assert.equal(found.get('ioredis')?.length, 1)
    assert.equal(found.get('@fastify/cookie')?.length, 1)
  })
})
