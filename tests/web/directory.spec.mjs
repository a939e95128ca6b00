// The directory of system leaders: a lead finds a maths SLE with days free
// in a mini region, and opens their page.
import { test, expect } from '@playwright/test'
import { base, checkPage, newUser, screenshot, signedInPage } from './support.mjs'

test('the directory finds a maths SLE with days free in a mini region', async ({ browser }) => {
  const lead = await signedInPage(browser, newUser('lead', 'alliance:1'), '/system-leaders')
  await expect(lead.getByRole('heading', { name: 'System leaders', level: 1 })).toBeVisible()
  await checkPage(lead)
  const all = Number((await lead.getByRole('heading', { name: / found$/ }).textContent()).split(' ')[0])
  await lead.getByLabel('Designation').selectOption('SLE')
  await lead.getByLabel('Specialism').fill('maths')
  await lead.getByLabel('Free days, at least').fill('1')
  await lead.getByRole('button', { name: 'Search' }).click()
  await checkPage(lead)
  await screenshot(lead, 'lead-directory')
  const found = Number((await lead.getByRole('heading', { name: / found$/ }).textContent()).split(' ')[0])
  expect(found).toBeGreaterThan(0)
  expect(found).toBeLessThan(all)
  const rows = lead.locator('tbody tr')
  for (let i = 0; i < found; i++) {
    await expect(rows.nth(i).locator('td').nth(1)).toContainText(/SLE \([^)]*maths/)
    expect(Number(await rows.nth(i).locator('td').nth(3).textContent())).toBeGreaterThanOrEqual(1)
  }
  // Narrowed to the mini region of the first one's home school.
  const area = await rows.first().locator('td').nth(2).locator('span').textContent()
  const region = /\(([^)]+)\)/.exec(area)?.[1] ?? area.trim()
  await lead.getByLabel('Mini region').selectOption(region)
  await lead.getByRole('button', { name: 'Search' }).click()
  await checkPage(lead)
  await expect(lead.locator('tbody tr').first()).toBeVisible()
  const name = await lead.locator('tbody tr').first().getByRole('link').textContent()
  await lead.locator('tbody tr').first().getByRole('link').click()
  await expect(lead.getByRole('heading', { name, level: 1 })).toBeVisible()
  await expect(lead.getByRole('heading', { name: 'Deployments' })).toBeVisible()
  await checkPage(lead)
  await screenshot(lead, 'lead-system-leader')
})
