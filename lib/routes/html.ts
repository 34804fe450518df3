import type { PancakeOverview } from './schemas.js'

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' } as const

/** Text made safe for HTML content and quoted attribute values. */
export function escapeHtml (text: string | number): string {
  return String(text).replace(/[&<>"']/g, (char) => ENTITIES[char as keyof typeof ENTITIES])
}

// The wording of the CLI: Yes, No, and N/A for an object without override.
function state (value: boolean | null): string {
  if (value === null) return '<span class="na">N/A</span>'
  return value ? '<span class="yes">Yes</span>' : '<span class="no">No</span>'
}

function table (caption: string, headers: readonly string[], rows: readonly string[][], empty: string): string {
  const head = headers.map((header) => `<th scope="col">${header}</th>`).join('')
  const body = rows.length === 0
    ? `<tr><td colspan="${headers.length}">${empty}</td></tr>`
    : rows.map((cells) => `<tr>${cells.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('\n')
  return `<h2>${caption}</h2>\n<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`
}

/**
 * The overview as a page for people: one table per kind of definition, as
 * flask-pancake's template has them. Every name and id is escaped; the
 * strings this function writes itself are the only markup.
 */
export function renderOverview (overview: PancakeOverview): string {
  const name = escapeHtml(overview.name)
  const flags = table(
    'Flags',
    ['Name', 'Default', 'Active globally', ...overview.group_ids.map((group) => `Active for <em>${escapeHtml(group)}</em>`)],
    overview.flags.map((flag) => [
      escapeHtml(flag.name),
      state(flag.default),
      state(flag.is_active),
      ...overview.group_ids.map((group) => {
        const percentage = Object.hasOwn(flag.rollouts, group) ? flag.rollouts[group] : undefined
        const rollout = percentage === undefined ? '' : `<p class="rollout">Rolled out to ${escapeHtml(percentage)}&nbsp;%</p>`
        const ids = Object.entries(flag.groups[group] ?? {})
        if (ids.length === 0) return `${rollout}<span class="na">No candidates available</span>`
        return `${rollout}<ul>${ids.map(([id, value]) => `<li>${escapeHtml(id)}: ${state(value)}</li>`).join('')}</ul>`
      })
    ]),
    'No flags'
  )
  const samples = table(
    'Samples',
    ['Name', 'Default', 'Value'],
    overview.samples.map((sample) => [escapeHtml(sample.name), `${escapeHtml(sample.default)}&nbsp;%`, `${escapeHtml(sample.value)}&nbsp;%`]),
    'No samples'
  )
  const switches = table(
    'Switches',
    ['Name', 'Default', 'Active'],
    overview.switches.map((definition) => [escapeHtml(definition.name), state(definition.default), state(definition.is_active)]),
    'No switches'
  )
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pancake overview: ${name}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin-bottom: 2rem; }
th, td { border: 1px solid #bbb; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
ul { margin: 0; padding: 0; list-style: none; }
.rollout { margin: 0 0 .3rem; font-weight: 600; }
.yes { color: #17692b; } .no { color: #a61b1b; } .na { color: #8a6d00; }
</style>
</head>
<body>
<h1>Pancake overview</h1>
<p>Instance: <strong>${name}</strong></p>
${flags}
${samples}
${switches}
</body>
</html>
`
}
