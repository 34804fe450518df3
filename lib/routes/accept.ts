interface MediaRange {
  type: string
  subtype: string
  q: number
}

const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/

/** The media ranges of an `Accept` header; malformed entries are skipped. */
function parseAccept (header: string): MediaRange[] {
  const ranges: MediaRange[] = []
  for (const entry of header.split(',')) {
    const [range = '', ...params] = entry.split(';')
    const slash = range.indexOf('/')
    if (slash < 1) continue
    const type = range.slice(0, slash).trim().toLowerCase()
    const subtype = range.slice(slash + 1).trim().toLowerCase()
    if (type === '' || subtype === '' || (type === '*' && subtype !== '*')) continue
    let q = 1
    for (const param of params) {
      const [name = '', value = ''] = param.split('=')
      if (name.trim().toLowerCase() !== 'q') continue
      const trimmed = value.trim()
      q = QVALUE.test(trimmed) ? Number(trimmed) : Number.NaN
    }
    if (!Number.isNaN(q)) ranges.push({ type, subtype, q })
  }
  return ranges
}

/**
 * The quality the client gives to one media type: that of the most specific
 * range matching it (`text/html` before `text/*` before `*\/*`), 0 if none.
 */
function quality (ranges: readonly MediaRange[], type: string, subtype: string): number {
  let best = -1
  let q = 0
  for (const range of ranges) {
    const specificity = range.type === '*'
      ? 0
      : range.type !== type ? -1 : range.subtype === subtype ? 2 : range.subtype === '*' ? 1 : -1
    if (specificity < 0) continue
    // Among equally specific ranges (a repeated type), the best quality.
    if (specificity > best || (specificity === best && range.q > q)) {
      best = specificity
      q = range.q
    }
  }
  return q
}

/**
 * Whether the client prefers an HTML page to JSON: a browser's
 * `text/html,…,*\/*;q=0.8` does; `*\/*`, `application/json` and no header do
 * not. On a tie JSON wins, being what API clients and scripts expect.
 */
export function prefersHtml (header: string | undefined): boolean {
  if (header === undefined || header === '') return false
  const ranges = parseAccept(header)
  const html = Math.max(quality(ranges, 'text', 'html'), quality(ranges, 'application', 'xhtml+xml'))
  return html > 0 && html > quality(ranges, 'application', 'json')
}
