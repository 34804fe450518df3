// The console's script, served by the routes at `<prefix>/console.js` so
// that the page runs under a CSP without inline script. Plain JavaScript
// that every current browser runs as is: no build step, nothing loaded
// from elsewhere. It reveals the controls, sends each change as JSON to
// the write route (same origin), and reloads the page to show the result.
export const CONSOLE_SCRIPT = `'use strict'
;(function () {
  var root = document.getElementById('console')
  if (!root) return
  var base = root.getAttribute('data-base') || ''
  var instance = root.getAttribute('data-instance') || ''
  var status = document.getElementById('status')

  function say (text) { status.textContent = text }

  function send (change) {
    say('Saving…')
    return fetch(base + '/changes/' + encodeURIComponent(instance), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(change)
    }).then(function (response) {
      return response.json().catch(function () { return {} }).then(function (body) {
        if (!response.ok) throw new Error(body.message || ('HTTP ' + response.status))
        say('Saved. Reloading…')
        window.location.reload()
      })
    }).catch(function (err) {
      say('Not changed: ' + err.message)
    })
  }

  var hidden = document.querySelectorAll('.js-only')
  for (var i = 0; i < hidden.length; i++) hidden[i].hidden = false

  document.addEventListener('click', function (event) {
    var button = event.target.closest('button[data-change]')
    if (button) {
      var question = button.getAttribute('data-confirm')
      if (question && !window.confirm(question)) return
      send(JSON.parse(button.getAttribute('data-change')))
      return
    }
    var more = event.target.closest('a.more[data-cursor]')
    if (more) {
      event.preventDefault()
      loadMore(more)
    }
  })

  document.addEventListener('submit', function (event) {
    var form = event.target
    if (form.classList.contains('add-override')) {
      event.preventDefault()
      send({
        kind: 'flag',
        name: form.getAttribute('data-flag'),
        group: form.getAttribute('data-group'),
        action: form.elements.action.value,
        objectId: form.elements.objectId.value.trim()
      })
    } else if (form.classList.contains('set-rollout')) {
      event.preventDefault()
      var flag = form.getAttribute('data-flag')
      var group = form.getAttribute('data-group')
      var percent = Number(form.elements.value.value)
      if (!window.confirm('Roll flag ' + flag + ' out to ' + percent + ' % of ' + group + '?')) return
      send({ kind: 'flag', name: flag, action: 'rollout', group: group, value: percent })
    } else if (form.classList.contains('set-sample')) {
      event.preventDefault()
      var name = form.getAttribute('data-name')
      var value = Number(form.elements.value.value)
      if (!window.confirm('Set sample ' + name + ' to ' + value + ' % for everyone?')) return
      send({ kind: 'sample', name: name, action: 'set', value: value })
    }
  })

  // The next page of a flag's overrides in a group, added to its list.
  function loadMore (link) {
    var flag = link.getAttribute('data-flag')
    var group = link.getAttribute('data-group')
    var query = '?flag=' + encodeURIComponent(flag) + '&group=' + encodeURIComponent(group) + '&count=100&cursor=' + encodeURIComponent(link.getAttribute('data-cursor'))
    fetch(base + '/overrides/' + encodeURIComponent(instance) + query, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status)
        return response.json()
      })
      .then(function (page) {
        var box = link.parentNode
        var list = box.querySelector('ul.overrides')
        if (!list) {
          list = document.createElement('ul')
          list.className = 'overrides'
          box.insertBefore(list, link)
        }
        var first
        page.overrides.forEach(function (override) {
          var item = document.createElement('li')
          var code = document.createElement('code')
          code.textContent = override.objectId
          var value = document.createElement('span')
          value.className = override.value === null ? 'na' : override.value ? 'yes' : 'no'
          value.textContent = override.value === null ? 'N/A' : override.value ? 'Yes' : 'No'
          item.appendChild(code)
          item.appendChild(document.createTextNode(': '))
          item.appendChild(value)
          var remove = document.createElement('button')
          remove.type = 'button'
          remove.textContent = 'Remove'
          remove.setAttribute('aria-label', 'Remove the override of ' + group + ' ' + override.objectId)
          remove.setAttribute('data-change', JSON.stringify({ kind: 'flag', name: flag, action: 'clear-group', group: group, objectId: override.objectId }))
          item.appendChild(document.createTextNode(' '))
          item.appendChild(remove)
          list.appendChild(item)
          if (!first) first = remove
        })
        if (page.cursor === '0') {
          link.remove()
          say('Every override of ' + group + ' is listed.')
        } else {
          link.setAttribute('data-cursor', page.cursor)
        }
        if (first) first.focus()
      })
      .catch(function (err) { say('Could not load more overrides: ' + err.message) })
  }

  var filter = document.getElementById('filter')
  if (filter) {
    filter.addEventListener('input', function () {
      var text = filter.value.trim().toLowerCase()
      var rows = document.querySelectorAll('tr[data-filter]')
      for (var i = 0; i < rows.length; i++) {
        rows[i].hidden = text !== '' && rows[i].getAttribute('data-filter').indexOf(text) === -1
      }
    })
  }
})()
`
