// Colours for terminal output, with the meanings flask-pancake gives them:
// green for on, red for off, yellow for "not set", blue for numbers.

export interface Style {
  green: (text: string) => string
  red: (text: string) => string
  yellow: (text: string) => string
  blue: (text: string) => string
}

export interface ColorContext {
  /** Whether stdout is a terminal. */
  isTTY: boolean
  env: Readonly<Record<string, string | undefined>>
  /** `--no-color` was given. */
  noColor: boolean
}

/**
 * Colours only on a terminal, never with `--no-color` or a non-empty
 * `NO_COLOR` (https://no-color.org). `FORCE_COLOR` (non-empty, not `0`)
 * turns them on where stdout is not a terminal, as in Node and most tools;
 * `NO_COLOR` still wins.
 */
export function useColor ({ isTTY, env, noColor }: ColorContext): boolean {
  if (noColor) return false
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  const force = env.FORCE_COLOR
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false'
  return isTTY
}

function paint (open: number): (text: string) => string {
  return (text) => `\u001b[${open}m${text}\u001b[0m`
}

const plain = (text: string): string => text

export function createStyle (color: boolean): Style {
  if (!color) return { green: plain, red: plain, yellow: plain, blue: plain }
  return { green: paint(32), red: paint(31), yellow: paint(33), blue: paint(34) }
}

/** `Yes`, `No`, or `N/A` for a group object without an override. */
export function formatState (style: Style, value: boolean | null): string {
  if (value === null) return style.yellow('N/A')
  return value ? style.green('Yes') : style.red('No')
}

/** A number as JavaScript prints it: `13`, `13.5`. */
export function formatNumber (style: Style, value: number): string {
  return style.blue(String(value))
}

// What Python's `str.isprintable()` refuses: the categories Other (Cc
// control, Cf format, Cs surrogate, Co private use, Cn unassigned) and
// Separator (Zl, Zp, Zs), ASCII space aside. The categories are those of the
// Unicode version of Node's ICU (`process.versions.unicode`); Python's
// follow its own `unicodedata.unidata_version`, so the two differ only on
// characters assigned in one version and not the other.
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u

function hex (code: number, digits: number): string {
  return code.toString(16).padStart(digits, '0')
}

/**
 * A string as Python's `repr()` prints it, which is how flask-pancake quotes
 * object ids: single quotes unless the text holds one and no double quote;
 * backslash, the quote, tab, newline and carriage return escaped; every
 * other character `isprintable()` refuses as `\xNN`, `\uNNNN` or `\UNNNNNNNN` (a no-break
 * space, a soft hyphen, U+2028, an unassigned code point, a lone surrogate),
 * so that an id never hides or forges what a terminal shows.
 */
export function pyRepr (text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'"
  let out = quote
  for (const char of text) {
    const code = char.codePointAt(0) as number
    if (char === quote || char === '\\') out += `\\${char}`
    else if (char === '\n') out += '\\n'
    else if (char === '\r') out += '\\r'
    else if (char === '\t') out += '\\t'
    else if (code === 0x20 || !NOT_PRINTABLE.test(char)) out += char
    else if (code <= 0xff) out += `\\x${hex(code, 2)}`
    else if (code <= 0xffff) out += `\\u${hex(code, 4)}`
    else out += `\\U${hex(code, 8)}`
  }
  return out + quote
}
