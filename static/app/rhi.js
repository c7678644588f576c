/*
 * Return Interview Service browser code. Plain ES module, no build step.
 * Loaded by templates/layout.html after htmx (a deferred classic script, so the
 * `htmx` global exists when this module runs).
 *
 * Nothing is kept in localStorage or sessionStorage (tablets are shared).
 * htmx's page-history cache is switched off with historyCacheSize: 0 in the
 * htmx-config <meta> in layout.html; htmx still writes the current path to
 * sessionStorage ("htmx-current-path-for-history") when it loads and on
 * history changes, and this file removes it again.
 *
 * AUTOSAVE FORMS
 * --------------
 * Mark a form up like this (the `rhi:retry` trigger is REQUIRED: it is how this
 * file re-sends a save that failed):
 *
 *   <form method="post" action="/interviews/42/answers" novalidate
 *         data-autosave
 *         hx-post="/interviews/42/answers"
 *         hx-trigger="change, input delay:1500ms, rhi:retry"
 *         hx-target="#save-status"
 *         hx-swap="outerHTML">
 *     <p id="save-status" class="govuk-body rhi-save-status rhi-save-status--hint"
 *        role="status" aria-live="polite">Your answers save as you type</p>
 *     ...fields...
 *   </form>
 *
 * (templates/_save_status.html renders the status paragraph.) The server
 * answers a save with a fresh status paragraph ("Saved at 14:02"); a 422 answer
 * (validation errors) is swapped in like a success: status paragraph plus
 * hx-swap-oob error messages. No event filters (`input[...]`) or hx-on: htmx
 * runs with allowEval: false, because the Content-Security-Policy has no
 * 'unsafe-eval'.
 *
 * When a save fails (network error, timeout, 5xx, 408, 429) the status says
 * "Not saved, retrying" and the save is re-sent after 2s, 4s, 8s, 16s, then
 * every 30s, and at once when the browser comes back online. While the
 * browser is offline it says "Not saved, retrying when you are back online".
 * Other 4xx answers are not retried. While an edit has not been saved, leaving
 * the page asks the browser to confirm (except when the form itself is
 * submitted normally). A normal submit waits for an autosave in flight, and
 * stops further autosaves, so an old autosave never overwrites it.
 *
 * A value the server cannot save is kept as typed (app/interviews/rejected.py);
 * the autosave's answer lists the errors in the error summary, and this file
 * shows each beside its field (GOV.UK error message markup, in the
 * <div data-field="NAME"> that templates/interviews/_fields.html puts round
 * every field), and takes it away once the field is put right. A follow-up
 * question revealed under an answer has its <div data-field> inside its
 * question's: each is marked on its own.
 *
 * SESSION TIMEOUT
 * ---------------
 * A signed-in page carries <meta name="rhi-session-ends-in"> (seconds left) and
 * <meta name="rhi-session-warning">; every answer to a signed-in browser
 * carries X-Session-Ends-In. Before the session ends the warning dialog in
 * layout.html opens ("Stay signed in" restarts the clock through
 * POST /session/keep-alive). If nobody answers, the page saves anything unsaved,
 * then signs out through the hidden form, which brings the person back to this
 * page after they sign in again, and tells them what had been saved. A session
 * that ended anyway (a tablet asleep) is noticed when the page is shown again.
 */
import { initAll } from '/static/govuk-frontend-6.3.0/govuk-frontend.min.js'

/* A radio that reveals a follow-up question (GOV.UK's conditional reveal) keeps aria-controls,
 * which ARIA allows on a radio, but not the aria-expanded GOV.UK Frontend gives it, which ARIA
 * does not (axe: aria-allowed-attr; alphagov/govuk-frontend#979, where GOV.UK keeps it on
 * purpose). GOV.UK sets it at start, on every click in the group (arrow keys and Space click
 * too) and on pageshow, so it is taken off each time it appears, before anything reads it. */
const RADIO_EXPANDED = new MutationObserver((changes) => {
  for (const { target } of changes) {
    if (target instanceof HTMLInputElement && target.type === 'radio' &&
        target.hasAttribute('aria-expanded')) {
      target.removeAttribute('aria-expanded')
    }
  }
})
RADIO_EXPANDED.observe(document.body, {
  subtree: true, attributes: true, attributeFilter: ['aria-expanded']
})

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()

const htmx = window.htmx

const AUTOSAVE_SELECTOR = 'form[data-autosave]'
const RETRY_EVENT = 'rhi:retry'
const FIRST_RETRY_MS = 2000
const MAX_RETRY_MS = 30000
const RETRYABLE_STATUSES = new Set([0, 408, 429])

const TEXT_RETRYING = 'Not saved, retrying'
const TEXT_OFFLINE = 'Not saved, retrying when you are back online'
const TEXT_NOT_SAVED = 'Not saved. There is a problem with the service. Do not close this page.'
const TEXT_SIGNED_OUT = 'Not saved: you have been signed out. Copy anything you typed since the ' +
  'last save before you leave this page, then sign in again.'

/**
 * Per-form autosave state, kept in memory only.
 * @typedef {{attempts: number, timer: number|null, failing: boolean,
 *            editSeq: number, savedSeq: number, submitting: boolean}} SaveState
 * @type {WeakMap<HTMLFormElement, SaveState>}
 */
const states = new WeakMap()
/** Sequence number of the latest edit included in each in-flight request. */
const requestSeq = new WeakMap()

function stateFor (form) {
  let state = states.get(form)
  if (!state) {
    state = { attempts: 0, timer: null, failing: false, editSeq: 0, savedSeq: 0, submitting: false }
    states.set(form, state)
  }
  return state
}

function autosaveForm (element) {
  if (!(element instanceof Element)) return null
  const form = element.closest(AUTOSAVE_SELECTOR)
  return form instanceof HTMLFormElement ? form : null
}

function allAutosaveForms () {
  return Array.from(document.querySelectorAll(AUTOSAVE_SELECTOR))
}

function csrfToken () {
  const meta = document.querySelector('meta[name="csrf-token"]')
  return meta ? meta.getAttribute('content') || '' : ''
}

function statusElement (form) {
  const target = form.getAttribute('hx-target')
  if (target && target.startsWith('#')) {
    const element = document.getElementById(target.slice(1))
    if (element) return element
  }
  return document.getElementById('save-status')
}

function showError (form, text) {
  const status = statusElement(form)
  if (!status) return
  status.classList.remove('rhi-save-status--saved', 'rhi-save-status--hint')
  status.classList.add('rhi-save-status--error')
  // Only touch the live region when the message changes, so it is not re-announced.
  if (status.textContent.trim() !== text) status.textContent = text
}

function isOffline () {
  return navigator.onLine === false
}

function clearRetry (state) {
  if (state.timer !== null) {
    window.clearTimeout(state.timer)
    state.timer = null
  }
}

function retryNow (form) {
  const state = stateFor(form)
  clearRetry(state)
  if (htmx && form.isConnected) htmx.trigger(form, RETRY_EVENT)
}

function saveFailed (form) {
  const state = stateFor(form)
  state.failing = true
  clearRetry(state)
  updateLeaveWarning()
  if (isOffline()) {
    // The window `online` event re-sends the save.
    showError(form, TEXT_OFFLINE)
    return
  }
  showError(form, TEXT_RETRYING)
  const delay = Math.min(FIRST_RETRY_MS * 2 ** state.attempts, MAX_RETRY_MS)
  state.attempts += 1
  state.timer = window.setTimeout(() => {
    state.timer = null
    retryNow(form)
  }, delay)
}

function saveSettled (form, seq) {
  const state = stateFor(form)
  const status = statusElement(form)
  const time = status ? /\b(\d\d:\d\d)\b/.exec(status.textContent || '') : null
  if (time) state.savedAt = time[1]
  clearRetry(state)
  state.attempts = 0
  state.failing = false
  if (typeof seq === 'number' && seq > state.savedSeq) state.savedSeq = seq
  updateLeaveWarning()
}

/* Warn before leaving the page while an edit is unsaved. The listener is only
 * registered while needed, so the page stays eligible for the back/forward cache. */
function hasUnsavedEdits () {
  return allAutosaveForms().some((form) => {
    const state = states.get(form)
    return state !== undefined && !state.submitting && (state.failing || state.editSeq > state.savedSeq)
  })
}

function onBeforeUnload (event) {
  if (!hasUnsavedEdits()) return
  event.preventDefault()
  event.returnValue = ''
}

let leaveWarningOn = false
function updateLeaveWarning () {
  const needed = hasUnsavedEdits()
  if (needed && !leaveWarningOn) {
    window.addEventListener('beforeunload', onBeforeUnload)
  } else if (!needed && leaveWarningOn) {
    window.removeEventListener('beforeunload', onBeforeUnload)
  }
  leaveWarningOn = needed
}

function onEdit (event) {
  const form = autosaveForm(event.target)
  if (!form) return
  stateFor(form).editSeq += 1
  updateLeaveWarning()
}

document.addEventListener('input', onEdit)
document.addEventListener('change', onEdit)

/* A normal submit (Save and continue, Add, Remove) must reach the server after any autosave of
 * the same form. The two travel on different connections and may arrive in either order, and an
 * autosave arriving last would undo the submit (an added episode would vanish). So a submit made
 * while an autosave is in flight waits for it, and no autosave starts once a submit is under way
 * (the submit carries every field anyway). */
const inFlight = new WeakMap() // form -> autosave requests sent and not yet answered
const deferredSubmits = new WeakMap() // form -> the button that was pressed (or null)

function resumeSubmit (form) {
  if ((inFlight.get(form) || 0) > 0 || !deferredSubmits.has(form)) return
  const submitter = deferredSubmits.get(form)
  deferredSubmits.delete(form)
  if (submitter && submitter.isConnected && submitter.form === form) {
    form.requestSubmit(submitter)
  } else {
    form.requestSubmit()
  }
}

document.addEventListener('submit', (event) => {
  const form = autosaveForm(event.target)
  if (!form) return
  stateFor(form).submitting = true
  if ((inFlight.get(form) || 0) > 0) {
    event.preventDefault()
    deferredSubmits.set(form, event.submitter || null)
  }
})

// A page restored from the back/forward cache may have been left mid-submit.
window.addEventListener('pageshow', () => {
  for (const form of allAutosaveForms()) stateFor(form).submitting = false
  updateLeaveWarning()
})

const HTMX_PATH_KEY = 'htmx-current-path-for-history'
function forgetHtmxPath () {
  try {
    window.sessionStorage.removeItem(HTMX_PATH_KEY)
  } catch (error) {
    // Storage unavailable: nothing was stored.
  }
}

if (htmx) {
  htmx.config.timeout = 15000

  forgetHtmxPath()
  for (const name of ['htmx:pushedIntoHistory', 'htmx:replacedInHistory', 'htmx:historyRestore']) {
    document.addEventListener(name, forgetHtmxPath)
  }

  // CSRF token on every htmx request.
  document.addEventListener('htmx:configRequest', (event) => {
    event.detail.headers['X-CSRF-Token'] = csrfToken()
  })

  // Remember which edits each autosave request carries; send none once a submit is under way.
  document.addEventListener('htmx:beforeRequest', (event) => {
    const form = autosaveForm(event.detail.elt)
    if (!form) return
    if (stateFor(form).submitting) {
      event.preventDefault()
      return
    }
    if (event.detail.xhr) requestSeq.set(event.detail.xhr, stateFor(form).editSeq)
  })

  document.addEventListener('htmx:beforeSend', (event) => {
    const form = autosaveForm(event.detail.elt)
    if (form) inFlight.set(form, (inFlight.get(form) || 0) + 1)
  })

  // 422 (validation errors) is an answer to swap in, not an error.
  document.addEventListener('htmx:beforeSwap', (event) => {
    if (event.detail.xhr && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true
      event.detail.isError = false
    }
  })

  // Fired for every answer, error, abort and timeout.
  document.addEventListener('htmx:afterRequest', (event) => {
    const form = autosaveForm(event.detail.elt)
    if (!form) return
    inFlight.set(form, Math.max(0, (inFlight.get(form) || 0) - 1))
    if (event.detail.successful) saveSettled(form, requestSeq.get(event.detail.xhr))
    // After htmx has sent any queued request (it does so straight after this event).
    if (deferredSubmits.has(form)) window.setTimeout(() => resumeSubmit(form), 0)
  })

  document.addEventListener('htmx:sendError', (event) => {
    const form = autosaveForm(event.detail.elt)
    if (form) saveFailed(form)
  })

  document.addEventListener('htmx:timeout', (event) => {
    const form = autosaveForm(event.detail.elt)
    if (form) saveFailed(form)
  })

  document.addEventListener('htmx:responseError', (event) => {
    const form = autosaveForm(event.detail.elt)
    if (!form) return
    const status = event.detail.xhr ? event.detail.xhr.status : 0
    if (status >= 500 || RETRYABLE_STATUSES.has(status)) {
      saveFailed(form)
    } else if (status === 401) {
      // Signed out (elsewhere, or asleep past the timeout): keep the form and the words in it.
      const state = stateFor(form)
      clearRetry(state)
      state.failing = true
      updateLeaveWarning()
      showError(form, TEXT_SIGNED_OUT)
    } else {
      // Not retried (e.g. 403: signed out or CSRF token expired). Keep the leave warning.
      const state = stateFor(form)
      clearRetry(state)
      state.failing = true
      updateLeaveWarning()
      showError(form, TEXT_NOT_SAVED)
    }
  })

  window.addEventListener('online', () => {
    for (const form of allAutosaveForms()) {
      const state = states.get(form)
      if (state && state.failing) {
        showError(form, TEXT_RETRYING)
        retryNow(form)
      }
    }
  })

  window.addEventListener('offline', () => {
    for (const form of allAutosaveForms()) {
      const state = states.get(form)
      if (state && state.failing) {
        clearRetry(state)
        showError(form, TEXT_OFFLINE)
      }
    }
  })
}


/* ---------------------------------------------------------------------------
 * Errors beside their fields, after an autosave
 * ------------------------------------------------------------------------- */

const CONTROLS = '.govuk-date-input, .govuk-radios, .govuk-checkboxes, .govuk-select, ' +
  '.govuk-textarea, .govuk-input'
const ERROR_MODIFIERS = [
  ['govuk-input', 'govuk-input--error'],
  ['govuk-select', 'govuk-select--error'],
  ['govuk-textarea', 'govuk-textarea--error']
]

function describedBy (element, id, add) {
  const tokens = (element.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean)
  const kept = tokens.filter((token) => token !== id)
  if (add) kept.push(id)
  if (kept.length) element.setAttribute('aria-describedby', kept.join(' '))
  else element.removeAttribute('aria-describedby')
}

/* The elements of a field's block that are its own: not those of a follow-up question revealed
 * under one of its answers (a <div data-field> of its own, inside this one). */
function own (root, selector) {
  return Array.from(root.querySelectorAll(selector))
    .filter((element) => element.closest('[data-field]') === root)
}

/* The elements a field's error message describes: its fieldset, else its controls. */
function describedElements (root) {
  const fieldset = own(root, 'fieldset')[0]
  const controls = own(root, 'input:not([type="hidden"]), select, textarea')
  const withHint = controls.filter((control) => control.hasAttribute('aria-describedby') &&
    /-hint\b/.test(control.getAttribute('aria-describedby')))
  if (fieldset) return [fieldset, ...withHint]
  return controls
}

function showFieldError (root, message) {
  const name = root.getAttribute('data-field')
  const group = own(root, '.govuk-form-group')[0]
  if (!group || !name) return
  const id = `${name}-error`
  let paragraph = own(root, '.govuk-error-message')[0]
  if (!paragraph) {
    paragraph = document.createElement('p')
    paragraph.className = 'govuk-error-message'
    paragraph.id = id
    const control = own(root, CONTROLS).find((element) => group.contains(element))
    if (!control || !control.parentNode) return
    control.parentNode.insertBefore(paragraph, control)
  }
  const prefix = document.createElement('span')
  prefix.className = 'govuk-visually-hidden'
  prefix.textContent = 'Error:'
  paragraph.replaceChildren(prefix, document.createTextNode(` ${message}`))
  group.classList.add('govuk-form-group--error')
  for (const [block, modifier] of ERROR_MODIFIERS) {
    for (const control of own(root, `.${block}`)) control.classList.add(modifier)
  }
  for (const element of describedElements(root)) describedBy(element, paragraph.id || id, true)
}

function clearFieldError (root) {
  const paragraph = own(root, '.govuk-error-message')[0]
  if (!paragraph) return
  const id = paragraph.id
  paragraph.remove()
  for (const group of own(root, '.govuk-form-group--error')) {
    group.classList.remove('govuk-form-group--error')
  }
  for (const [, modifier] of ERROR_MODIFIERS) {
    for (const control of own(root, `.${modifier}`)) control.classList.remove(modifier)
  }
  for (const element of own(root, '[aria-describedby]')) describedBy(element, id, false)
}

/* Show each error of the error summary beside its field; clear the fields now right. */
function syncFieldErrors () {
  const summary = document.getElementById('form-errors')
  if (!summary) return
  const wanted = new Map()
  for (const link of summary.querySelectorAll('a[href^="#"]')) {
    const target = document.getElementById(link.getAttribute('href').slice(1))
    const root = target ? target.closest('[data-field]') : null
    if (root && !wanted.has(root)) wanted.set(root, link.textContent.trim())
  }
  for (const root of document.querySelectorAll('[data-field]')) {
    const message = wanted.get(root)
    if (message) showFieldError(root, message)
    else clearFieldError(root)
  }
}

if (htmx) {
  document.addEventListener('htmx:oobAfterSwap', (event) => {
    const target = event.detail && event.detail.target
    if (target && target.id === 'form-errors') syncFieldErrors()
  })
}

/* ---------------------------------------------------------------------------
 * Session timeout: warn, stay signed in, or save and sign out
 * ------------------------------------------------------------------------- */

const SIGN_OUT_BEFORE_END_MS = 10000 // sign out while the session can still save
const FLUSH_WAIT_MS = 5000

function metaNumber (name) {
  const meta = document.querySelector(`meta[name="${name}"]`)
  const value = meta ? Number(meta.getAttribute('content')) : NaN
  return Number.isFinite(value) ? value : null
}

const sessionEndsIn = metaNumber('rhi-session-ends-in')
const warningSeconds = metaNumber('rhi-session-warning')
const dialog = document.getElementById('rhi-timeout')

if (sessionEndsIn !== null && warningSeconds !== null && dialog instanceof HTMLDialogElement) {
  let endsAt = Date.now() + sessionEndsIn * 1000
  let warnTimer = null
  let endTimer = null
  let countdownTimer = null
  let signingOut = false
  let focusBefore = null
  const countdown = dialog.querySelector('[data-countdown]')

  const remainingText = () => {
    const seconds = Math.max(0, Math.round((endsAt - SIGN_OUT_BEFORE_END_MS - Date.now()) / 1000))
    if (seconds >= 60) {
      const minutes = Math.round(seconds / 60)
      return `${minutes} minute${minutes === 1 ? '' : 's'}`
    }
    return `${seconds} second${seconds === 1 ? '' : 's'}`
  }

  const openWarning = () => {
    if (signingOut || dialog.open) return
    focusBefore = document.activeElement
    if (countdown) countdown.textContent = remainingText()
    dialog.showModal()
    countdownTimer = window.setInterval(() => {
      if (countdown) countdown.textContent = remainingText()
    }, 1000)
  }

  const closeWarning = () => {
    if (countdownTimer !== null) window.clearInterval(countdownTimer)
    countdownTimer = null
    if (dialog.open) dialog.close()
    if (focusBefore instanceof HTMLElement && focusBefore.isConnected) focusBefore.focus()
  }

  const schedule = (secondsLeft) => {
    endsAt = Date.now() + secondsLeft * 1000
    window.clearTimeout(warnTimer)
    window.clearTimeout(endTimer)
    const signOutIn = endsAt - SIGN_OUT_BEFORE_END_MS - Date.now()
    warnTimer = window.setTimeout(openWarning, Math.max(0, signOutIn - warningSeconds * 1000))
    endTimer = window.setTimeout(() => signOut('timeout'), Math.max(0, signOutIn))
  }

  /* Save every form with an unsaved edit, and wait (a while) for the answers. */
  const flushSaves = async () => {
    const pending = allAutosaveForms().filter((form) => {
      const state = states.get(form)
      return (state && (state.failing || state.editSeq > state.savedSeq)) ||
        (inFlight.get(form) || 0) > 0
    })
    for (const form of pending) {
      if ((inFlight.get(form) || 0) === 0) retryNow(form)
    }
    const deadline = Date.now() + FLUSH_WAIT_MS
    while (Date.now() < deadline && pending.some((form) => {
      const state = stateFor(form)
      return (inFlight.get(form) || 0) > 0 || state.editSeq > state.savedSeq || state.failing
    })) {
      await new Promise((resolve) => window.setTimeout(resolve, 100))
    }
  }

  /* What the page had saved: "all", or the time of its last save, or "" (nothing to save). */
  const savedSummary = () => {
    const forms = allAutosaveForms()
    if (!forms.length) return ''
    const unsaved = forms.filter((form) => {
      const state = states.get(form)
      return state && (state.failing || state.editSeq > state.savedSeq)
    })
    if (!unsaved.length) return 'all'
    const times = unsaved.map((form) => stateFor(form).savedAt).filter(Boolean).sort()
    return times.length ? times[0] : ''
  }

  async function signOut (reason) {
    if (signingOut) return
    signingOut = true
    window.clearTimeout(warnTimer)
    window.clearTimeout(endTimer)
    await flushSaves()
    const form = document.getElementById('rhi-timeout-sign-out')
    if (!(form instanceof HTMLFormElement)) return
    form.elements.namedItem('reason').value = reason
    form.elements.namedItem('next').value = window.location.pathname + window.location.search
    form.elements.namedItem('saved').value = savedSummary()
    for (const autosave of allAutosaveForms()) stateFor(autosave).submitting = true
    updateLeaveWarning()
    window.removeEventListener('beforeunload', onBeforeUnload)
    form.submit()
  }

  const staySignedIn = async () => {
    try {
      const answer = await window.fetch('/session/keep-alive', {
        method: 'POST',
        headers: { 'X-CSRF-Token': csrfToken() },
        credentials: 'same-origin'
      })
      const left = Number(answer.headers.get('X-Session-Ends-In'))
      if (answer.status === 204 && Number.isFinite(left)) {
        closeWarning()
        schedule(left)
        return
      }
    } catch (error) {
      // Offline: the session cannot be kept alive from here; sign out as planned.
    }
    signOut('timeout')
  }

  dialog.querySelector('[data-timeout-stay]').addEventListener('click', staySignedIn)
  dialog.querySelector('[data-timeout-sign-out]').addEventListener('click', () => {
    closeWarning()
    signOut('timeout')
  })
  // Escape closes a modal dialog: take it as "stay signed in".
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault()
    staySignedIn()
  })

  // Every answer from the server says how long the session now has.
  if (htmx) {
    document.addEventListener('htmx:afterRequest', (event) => {
      const xhr = event.detail && event.detail.xhr
      const left = xhr ? Number(xhr.getResponseHeader('X-Session-Ends-In')) : NaN
      if (xhr && xhr.getResponseHeader('X-Session-Ends-In') !== null && Number.isFinite(left) &&
          !signingOut) {
        schedule(left)
      }
    })
  }

  // Timers sleep with the tablet: on waking, a session past its end signs out at once.
  const checkClock = () => {
    if (document.visibilityState === 'visible' && !signingOut &&
        Date.now() >= endsAt - SIGN_OUT_BEFORE_END_MS) {
      signOut('timeout')
    }
  }
  document.addEventListener('visibilitychange', checkClock)
  window.addEventListener('pageshow', checkClock)

  schedule(sessionEndsIn)
}


// "Now" beside each date and time (fewer taps: most times in a return interview are now, or
// minutes ago). Added here, so without JavaScript there is no button that does nothing. It
// fills the tablet's own date and time (UK time on a UK tablet) and announces the change, so
// autosave saves it as if typed.
function fillNow (name) {
  const now = new Date()
  const parts = {
    day: String(now.getDate()),
    month: String(now.getMonth() + 1),
    year: String(now.getFullYear()),
    time: String(now.getHours()).padStart(2, '0') + ':' + String(now.getMinutes()).padStart(2, '0')
  }
  for (const [part, value] of Object.entries(parts)) {
    const input = document.getElementById(name + '-' + part)
    if (input) {
      input.value = value
      input.dispatchEvent(new Event('input', { bubbles: true }))
    }
  }
  const time = document.getElementById(name + '-time')
  if (time) time.dispatchEvent(new Event('change', { bubbles: true }))
}

function addNowButtons (root) {
  for (const group of root.querySelectorAll('[data-now-for]')) {
    if (group.querySelector('.rhi-now')) continue
    const name = group.getAttribute('data-now-for')
    const item = document.createElement('div')
    item.className = 'govuk-date-input__item rhi-now-item'
    const button = document.createElement('button')
    button.type = 'button'
    button.className = 'govuk-button govuk-button--secondary rhi-now'
    button.textContent = 'Now'
    const legend = group.closest('fieldset')?.querySelector('legend')?.textContent?.trim()
    if (legend) button.setAttribute('aria-label', 'Now: ' + legend)
    button.addEventListener('click', () => fillNow(name))
    item.appendChild(button)
    group.appendChild(item)
  }
}

addNowButtons(document)
document.addEventListener('htmx:afterSwap', (event) => addNowButtons(event.target))
