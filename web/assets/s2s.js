// Enhancements only: every page works without this script (docs/web.md).
import { initAll } from './govuk-frontend.min.js'

document.body.classList.add('govuk-frontend-supported')
initAll()

// An import in progress: ask the server how far it has got (it answers at
// once when the import finishes, else within two seconds) and move the bar;
// when it is done, load the page again to show the report. Without the
// script the page has a link to check again.
for (const region of document.querySelectorAll('[data-s2s-progress]')) {
  const bar = region.querySelector('progress')
  const label = region.querySelector('label')
  const poll = async () => {
    try {
      const answer = await fetch(`${region.dataset.s2sProgress}?wait_ms=2000`, { headers: { Accept: 'application/json' } })
      if (answer.ok) {
        const state = await answer.json()
        if (state.finished) {
          window.location.reload()
          return
        }
        bar.max = Math.max(state.total, 1)
        bar.value = state.done
        bar.textContent = state.text
        label.textContent = state.text
      }
    } catch {
      // A dropped request: the next one may get through.
    }
    setTimeout(poll, 250)
  }
  setTimeout(poll, 250)
}
