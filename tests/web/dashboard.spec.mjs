// The lead's dashboard: a lead finds an overdue referral there and acts on it.
import { test, expect } from '@playwright/test'
import { act, api, base, checkPage, newUser, screenshot, signedInPage } from './support.mjs'

test('a lead finds an overdue referral on the dashboard and acts on it', async ({ browser }) => {
  const email = newUser('lead', 'alliance:1')
  const token = newUser.lastToken
  // A referral made three weeks ago and never triaged (through the API, which may date it).
  const occurred = new Date(Date.now() - 21 * 86_400_000).toISOString().slice(0, 10)
  const opened = await api(token, 'POST', '/api/v1/cases', {
    kind: 'support_request', school_urn: 148502, occurred_on: occurred,
    data: { source: 'local_authority', summary: 'Maths results fell sharply' },
  })
  // The server's timers mark its triage deadline overdue within seconds.
  await expect.poll(async () => (await api(token, 'GET', `/api/v1/cases/${opened.id}`)).overdue,
    { timeout: 15_000 }).toBe(true)

  const lead = await signedInPage(browser, email, '/dashboard')
  await expect(lead.getByRole('heading', { name: 'Dashboard' })).toBeVisible()
  await checkPage(lead)
  await screenshot(lead, 'lead-dashboard')
  const row = lead.locator('#triage + table tbody tr', { hasText: opened.reference })
  await expect(row).toContainText('Overdue')
  const since = new Date(`${occurred}T12:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
  await expect(row).toContainText(new RegExp(`\\d+ working days since ${since}`))
  await row.getByRole('link', { name: opened.reference }).click()
  await checkPage(lead)
  await act(lead, 'Accept referral', async () => {
    await lead.getByLabel('Urgent').check()
    await lead.getByLabel('Focus areas').fill('maths')
    await lead.getByLabel('Requested days').fill('4')
    await lead.getByLabel('Funding source').fill('SSIF')
  })
  // Now it waits for a match, and its triage deadline is met late.
  await lead.getByRole('link', { name: 'Dashboard' }).click()
  await checkPage(lead)
  await expect(lead.locator('#triage + table tbody tr', { hasText: opened.reference })).toHaveCount(0)
  await expect(lead.locator('#matching + table tbody tr', { hasText: opened.reference })).toHaveCount(1)

  // The reports and a school's page, as leads read them.
  await lead.getByRole('link', { name: 'KPIs' }).click()
  await checkPage(lead)
  await lead.getByRole('link', { name: 'quarterly progress report' }).click()
  await expect(lead.getByRole('heading', { name: /^Quarterly progress report / })).toBeVisible()
  await checkPage(lead)
  await screenshot(lead, 'lead-quarterly')
  await lead.goto(`${base()}/schools/148502`)
  await expect(lead.getByRole('heading', { name: 'Hasland Vale Academy' })).toBeVisible()
  await expect(lead.locator('tbody')).toContainText(opened.reference)
  await checkPage(lead)
})
