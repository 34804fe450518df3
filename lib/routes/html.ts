import type { AuditEntry } from '../audit.js'
import { describeEntry } from '../audit.js'
import type { ConsoleGroup, ConsoleModel } from './console.js'

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' } as const

/** Text made safe for HTML content and quoted attribute values. */
export function escapeHtml (text: string | number): string {
  return String(text).replace(/[&<>"']/g, (char) => ENTITIES[char as keyof typeof ENTITIES])
}

// The wording of the CLI: Yes, No, and N/A for an object without override.
// Words first: colour only repeats what they say.
function state (value: boolean | null): string {
  if (value === null) return '<span class="na">N/A</span>'
  return value ? '<span class="yes">Yes</span>' : '<span class="no">No</span>'
}

/** A value, marked when it differs from the default (in words, not only colour). */
function valueCell (text: string, isDefault: boolean): string {
  return isDefault ? text : `<strong>${text}</strong> <span class="changed">(not the default)</span>`
}

function lastChange (entry: AuditEntry | undefined): string {
  if (entry === undefined) return '<span class="na">—</span>'
  const when = new Date(entry.time).toISOString()
  return `${escapeHtml(entry.actor)} <span class="source">(${escapeHtml(entry.source)})</span><br><time datetime="${when}">${when.replace('T', ' ').slice(0, 19)} UTC</time>`
}

/** A button that sends one change (JSON in a data attribute, read by the console script). */
function changeButton (label: string, change: Record<string, unknown>, options: { confirm?: string, accessibleName?: string } = {}): string {
  const confirm = options.confirm === undefined ? '' : ` data-confirm="${escapeHtml(options.confirm)}"`
  const name = options.accessibleName === undefined ? '' : ` aria-label="${escapeHtml(options.accessibleName)}"`
  return `<button type="button" data-change="${escapeHtml(JSON.stringify(change))}"${confirm}${name}>${escapeHtml(label)}</button>`
}

/** Controls that need the console script: hidden until it runs, so a page without JavaScript reads cleanly. */
function controls (model: ConsoleModel, html: string): string {
  return model.writable ? `<td><div class="js-only" hidden>${html}</div></td>` : ''
}

function head (model: ConsoleModel, headers: readonly string[]): string {
  const all = model.writable ? [...headers, 'Change'] : headers
  return `<thead><tr>${all.map((header) => `<th scope="col">${header}</th>`).join('')}</tr></thead>`
}

function nameCell (model: ConsoleModel, kind: string, name: string): string {
  const entry = model.descriptions.get(`${kind}:${name}`)
  const description = entry?.description === undefined ? '' : `<div class="description">${escapeHtml(entry.description)}</div>`
  return `<th scope="row"><code>${escapeHtml(name)}</code>${description}</th>`
}

/** What the filter matches: the name and the description. */
function rowAttributes (model: ConsoleModel, kind: string, name: string): string {
  const description = model.descriptions.get(`${kind}:${name}`)?.description ?? ''
  return ` data-filter="${escapeHtml(`${name} ${description}`.toLowerCase())}"`
}

function filtered (model: ConsoleModel, kind: string, name: string): boolean {
  const q = model.query.q?.trim().toLowerCase()
  if (q === undefined || q === '') return true
  const description = model.descriptions.get(`${kind}:${name}`)?.description ?? ''
  return `${name} ${description}`.toLowerCase().includes(q)
}

function table (id: string, caption: string, headers: string, rows: readonly string[], empty: string, columns: number): string {
  const body = rows.length === 0 ? `<tr><td colspan="${columns}">${empty}</td></tr>` : rows.join('\n')
  return `<section aria-labelledby="${id}">\n<h2 id="${id}">${caption}</h2>\n<table>\n${headers}\n<tbody>\n${body}\n</tbody>\n</table>\n</section>`
}

function toggleButtons (kind: 'switch' | 'flag', name: string, value: boolean): string {
  const what = kind === 'flag' ? `flag ${name} globally` : `switch ${name}`
  return [
    changeButton(value ? 'Turn off' : 'Turn on', { kind, name, action: value ? 'disable' : 'enable' }, { confirm: `Turn ${what} ${value ? 'off' : 'on'} for everyone?`, accessibleName: `Turn ${what} ${value ? 'off' : 'on'}` }),
    changeButton('Reset', { kind, name, action: 'clear' }, { confirm: `Reset ${what} to its default for everyone?`, accessibleName: `Reset ${what} to its default` })
  ].join(' ')
}

function overrideList (model: ConsoleModel, flag: string, group: ConsoleGroup, rollout: number | undefined): string {
  const items = group.overrides.map(({ objectId, value }) => {
    const remove = model.writable
      ? ` <span class="js-only" hidden>${changeButton('Remove', { kind: 'flag', name: flag, action: 'clear-group', group: group.group, objectId }, { accessibleName: `Remove the override of ${group.group} ${objectId}` })}</span>`
      : ''
    return `<li><code>${escapeHtml(objectId)}</code>: ${state(value)}${remove}</li>`
  })
  const list = items.length === 0 ? '<p class="na">No overrides</p>' : `<ul class="overrides">${items.join('')}</ul>`
  const more = group.cursor === '0'
    ? ''
    : `<a class="more" data-flag="${escapeHtml(flag)}" data-group="${escapeHtml(group.group)}" data-cursor="${escapeHtml(group.cursor)}" href="?${new URLSearchParams({ flag, group: group.group, cursor: group.cursor }).toString().replace(/&/g, '&amp;')}#flag-${escapeHtml(encodeURIComponent(flag))}">More overrides of ${escapeHtml(group.group)}</a>`
  const add = model.writable
    ? `<form class="add-override js-only" hidden data-flag="${escapeHtml(flag)}" data-group="${escapeHtml(group.group)}">
<label>Object id in ${escapeHtml(group.group)} <input name="objectId" required autocomplete="off"></label>
<label>Value <select name="action"><option value="enable-group">Yes</option><option value="disable-group">No</option></select></label>
<button type="submit">Add override</button>
${group.overrides.length === 0 ? '' : changeButton(`Clear every ${group.group} override`, { kind: 'flag', name: flag, action: 'clear-all-group', group: group.group }, { confirm: `Remove every override of flag ${flag} in group ${group.group}?` })}
</form>`
    : ''
  const rolledOut = rollout === undefined ? '' : `<p class="rollout">Rolled out to ${escapeHtml(rollout)}&nbsp;%</p>`
  const setRollout = model.writable
    ? `<form class="set-rollout js-only" hidden data-flag="${escapeHtml(flag)}" data-group="${escapeHtml(group.group)}">
<label>Rollout of ${escapeHtml(flag)} in ${escapeHtml(group.group)}, % <input type="number" name="value" min="0" max="100" step="any" required value="${escapeHtml(rollout ?? '')}"></label>
<button type="submit">Set rollout</button>
${rollout === undefined ? '' : changeButton('Clear rollout', { kind: 'flag', name: flag, action: 'clear-rollout', group: group.group }, { confirm: `Remove the rollout of flag ${flag} in group ${group.group}?`, accessibleName: `Clear the rollout of ${flag} in ${group.group}` })}
</form>`
    : ''
  return `<div class="group" data-group="${escapeHtml(group.group)}"><h3>${escapeHtml(group.group)}</h3>${rolledOut}${list}${more}${add}${setRollout}</div>`
}

function historyPanel (history: readonly AuditEntry[]): string {
  const rows = history.map((entry) => {
    const when = new Date(entry.time).toISOString()
    return `<tr><td><time datetime="${when}">${when.replace('T', ' ').slice(0, 19)} UTC</time></td><td>${escapeHtml(entry.actor)}</td><td>${escapeHtml(entry.source)}</td><td>${escapeHtml(describeEntry(entry))}</td></tr>`
  })
  return table('history', 'History', '<thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">From</th><th scope="col">What</th></tr></thead>', rows, 'No changes recorded', 4)
}

function seesPanel (model: ConsoleModel): string {
  const groups = model.overview.group_ids
  if (groups.length === 0) return ''
  const { see = '', seeGroup = groups[0] as string } = model.query
  const options = groups.map((group) => `<option${group === seeGroup ? ' selected' : ''}>${escapeHtml(group)}</option>`).join('')
  const results = model.sees === undefined
    ? ''
    : `<table class="sees"><caption>What <code>${escapeHtml(seeGroup)} ${escapeHtml(see)}</code> sees</caption><thead><tr><th scope="col">Flag</th><th scope="col">Active</th><th scope="col">Why</th></tr></thead><tbody>${
        model.sees.map((row) => `<tr><th scope="row"><code>${escapeHtml(row.name)}</code></th><td>${state(row.value)}</td><td>${escapeHtml(row.why)}</td></tr>`).join('')
      }</tbody></table>`
  return `<section aria-labelledby="sees-h">
<h2 id="sees-h">What does an object see?</h2>
<form method="get" class="inline">
<label>Group <select name="seeGroup">${options}</select></label>
<label>Object id <input name="see" value="${escapeHtml(see)}" required autocomplete="off"></label>
<button type="submit">Show</button>
</form>
${results}
</section>`
}

/**
 * The console: the overview's tables, made a page to operate from. Every
 * name, id and description is escaped; the strings this function writes
 * itself are the only markup. It reads completely without JavaScript; the
 * controls that change things need the console script, served by the
 * routes, and appear once it runs.
 */
export function renderConsole (model: ConsoleModel): string {
  const { overview } = model
  const name = escapeHtml(overview.name)
  const base = escapeHtml(model.base)
  const groupHeaders = overview.group_ids.map((group) => `Overrides for <em>${escapeHtml(group)}</em>`)
  const flagColumns = 4 + overview.group_ids.length + (model.writable ? 1 : 0)
  const flags = table(
    'flags',
    'Flags',
    head(model, ['Name', 'Active globally', 'Default', ...groupHeaders, 'Last change']),
    overview.flags.filter((flag) => filtered(model, 'flag', flag.name)).map((flag) => `<tr${rowAttributes(model, 'flag', flag.name)} id="flag-${escapeHtml(encodeURIComponent(flag.name))}">${nameCell(model, 'flag', flag.name)}<td>${valueCell(state(flag.is_active), flag.is_active === flag.default)}</td><td>${state(flag.default)}</td>${
      (model.groups.get(flag.name) ?? []).map((group) => `<td>${overrideList(model, flag.name, group, Object.hasOwn(flag.rollouts, group.group) ? flag.rollouts[group.group] : undefined)}</td>`).join('')
    }<td>${lastChange(model.descriptions.get(`flag:${flag.name}`)?.last)}</td>${controls(model, toggleButtons('flag', flag.name, flag.is_active))}</tr>`),
    'No flags',
    flagColumns
  )
  const samples = table(
    'samples',
    'Samples',
    head(model, ['Name', 'Value', 'Default', 'Last change']),
    overview.samples.filter((sample) => filtered(model, 'sample', sample.name)).map((sample) => `<tr${rowAttributes(model, 'sample', sample.name)}>${nameCell(model, 'sample', sample.name)}<td>${valueCell(`${escapeHtml(sample.value)}&nbsp;%`, sample.value === sample.default)}</td><td>${escapeHtml(sample.default)}&nbsp;%</td><td>${lastChange(model.descriptions.get(`sample:${sample.name}`)?.last)}</td>${controls(model, `<form class="set-sample" data-name="${escapeHtml(sample.name)}"><label>Percentage of ${escapeHtml(sample.name)} <input type="number" name="value" min="0" max="100" step="any" required value="${escapeHtml(sample.value)}"></label> <button type="submit">Set</button></form> ${changeButton('Reset', { kind: 'sample', name: sample.name, action: 'clear' }, { confirm: `Reset sample ${sample.name} to its default for everyone?`, accessibleName: `Reset sample ${sample.name} to its default` })}`)}</tr>`),
    'No samples',
    model.writable ? 5 : 4
  )
  const switches = table(
    'switches',
    'Switches',
    head(model, ['Name', 'Active', 'Default', 'Last change']),
    overview.switches.filter((definition) => filtered(model, 'switch', definition.name)).map((definition) => `<tr${rowAttributes(model, 'switch', definition.name)}>${nameCell(model, 'switch', definition.name)}<td>${valueCell(state(definition.is_active), definition.is_active === definition.default)}</td><td>${state(definition.default)}</td><td>${lastChange(model.descriptions.get(`switch:${definition.name}`)?.last)}</td>${controls(model, toggleButtons('switch', definition.name, definition.is_active))}</tr>`),
    'No switches',
    model.writable ? 5 : 4
  )
  const instances = model.instances.length < 2
    ? ''
    : `<nav aria-label="Pancake instances"><ul class="instances">${model.instances.map((instance) => `<li><a href="${base}/overview/${escapeHtml(encodeURIComponent(instance))}"${instance === overview.name ? ' aria-current="page"' : ''}>${escapeHtml(instance)}</a></li>`).join('')}</ul></nav>`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pancake overview: ${name}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; line-height: 1.4; }
table { border-collapse: collapse; margin-bottom: 1.5rem; }
th, td { border: 1px solid #bbb; padding: .3rem .6rem; text-align: left; vertical-align: top; }
thead th { background: #f2f2f2; }
tbody th { font-weight: normal; }
ul { margin: 0; padding: 0; list-style: none; }
h3 { font-size: .95rem; margin: 0 0 .2rem; }
.rollout { margin: 0 0 .3rem; font-weight: 600; }
.yes { color: #17692b; } .no { color: #a61b1b; } .na { color: #6b5700; }
.changed { font-size: .85em; font-style: italic; }
.description, .source { color: #555; font-size: .9em; }
.instances { display: flex; gap: 1rem; } .instances a[aria-current] { font-weight: bold; }
form { margin: .3rem 0; } label { margin-right: .4rem; }
.inline { display: flex; gap: .5rem; align-items: end; flex-wrap: wrap; }
button, input, select { font: inherit; }
:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
#status:not(:empty) { padding: .5rem; border: 2px solid #1a5fb4; }
</style>
<script src="${base}/console.js" defer></script>
</head>
<body>
<header>
<h1>Pancake overview</h1>
<p>Instance: <strong>${name}</strong></p>
${instances}
</header>
<main id="console" data-base="${base}" data-instance="${name}">
<p id="status" role="status" aria-live="polite"></p>
<form method="get" role="search" class="inline">
<label for="filter">Filter by name or description</label>
<input id="filter" name="q" type="search" value="${escapeHtml(model.query.q ?? '')}">
<button type="submit">Filter</button>
</form>
${flags}
${samples}
${switches}
${seesPanel(model)}
${historyPanel(model.history)}
</main>
</body>
</html>
`
}
