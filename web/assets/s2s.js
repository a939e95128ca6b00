// Enhancements only: every page works without this script (docs/web.md).
import { initAll } from './govuk-frontend.min.js'

document.body.classList.add('govuk-frontend-supported')
initAll()
