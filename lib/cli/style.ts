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

/**
 * A string as Python's `repr()` prints it, which is how flask-pancake quotes
 * object ids: single quotes unless the text holds one and no double quote.
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
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += `\\x${code.toString(16).padStart(2, '0')}`
    else out += char
  }
  return out + quote
}
