// OpenFeature: what the provider adds to a check, against the SDK's own
// in-memory provider, and the OFREP bulk route's throughput.
import autocannon from 'autocannon'
import { HEADERS } from './checks.mjs'
import { fixed, startChild, stopChild } from './common.mjs'

export async function openfeature ({ redis, duration, connections, log }) {
  await redis.flush()
  log('openfeature: CPU per evaluation')
  const child = await startChild('./openfeature-child.mjs', [redis.url])
  try {
    const url = `http://127.0.0.1:${child.port}/flags/ofrep/v1/evaluate/flags`
    const bulk = async (headers) => {
      const result = await autocannon({
        url,
        method: 'POST',
        duration,
        connections,
        headers: { ...HEADERS, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ context: {} })
      })
      return { rps: result.requests.total / result.duration, non2xx: result.non2xx, errors: result.errors }
    }
    log('openfeature: OFREP bulk, 200')
    const ofrep = await bulk({})
    log('openfeature: OFREP bulk, 304')
    const notModified = await bulk({ 'if-none-match': child.etag })
    return { results: child.results, definitions: child.definitions, ofrep, notModified }
  } finally {
    await stopChild(child)
  }
}

export function openfeatureMarkdown ({ results, definitions, ofrep, notModified }) {
  const provider = results['PancakeProvider, with a context']
  const memory = results['InMemoryProvider, with a context']
  return [
    'CPU time per evaluation of one flag decided by a user override, in µs, Redis behind the warm near-cache, measured in process (no HTTP).',
    '',
    '| evaluation | µs |',
    '|---|---:|',
    ...Object.entries(results).map(([name, us]) => `| ${name} | ${fixed(us, 2)} |`),
    '',
    `PancakeProvider costs ${fixed(provider / memory, 2)} × the SDK's InMemoryProvider (the target: at most 1.10 ×).`,
    '',
    `OFREP bulk evaluation of ${definitions} definitions: ${fixed(ofrep.rps, 0)} requests/s answered 200 (${ofrep.non2xx} others), ${fixed(notModified.rps, 0)} requests/s answered 304 with If-None-Match.`
  ].join('\n')
}
