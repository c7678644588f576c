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
 */
import { initAll } from '/static/govuk-frontend-6.3.0/govuk-frontend.min.js'

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
