// What people meet when something is wrong: a spent sign-in link, a case
// outside their scope, a page someone else changed meanwhile, a form without
// its security code, answers the engine refuses. Each page is checked with axe.
import { test, expect } from '@playwright/test'
import { base, checkPage, newUser, s2sd, signedInPage, screenshot } from './support.mjs'

// The demo alliance: the demo lead's scope.
const ALLIANCE = 'alliance:1'

test('a sign-in link works once', async ({ browser }) => {
  const link = s2sd('user', 'sign-in-link', newUser('admin'), '--public-url', base()).trim()
  const first = await (await browser.newContext()).newPage()
  await first.goto(link)
  await checkPage(first)
  await first.getByRole('button', { name: 'Continue' }).click()
  await expect(first.getByRole('heading', { name: 'Your cases' })).toBeVisible()
  await checkPage(first)
  const second = await (await browser.newContext()).newPage()
  await second.goto(link)
  await checkPage(second)
  await second.getByRole('button', { name: 'Continue' }).click()
  await expect(second.getByRole('heading', { name: 'This sign-in link has expired or has been used' })).toBeVisible()
  await checkPage(second)
  await second.getByRole('link', { name: 'Get a new sign-in link' }).click()
  await expect(second.getByRole('heading', { name: 'Sign in to s2s' })).toBeVisible()
  await checkPage(second)
})

test('a case outside the person\'s scope is a page not found', async ({ browser }) => {
  const school = await signedInPage(browser, newUser('school', 'school:146330'))
  // PP-2026-0002 is Charnwood Edge Academy's, not the school's own.
  const response = await school.goto(`${base()}/cases/PP-2026-0002`)
  expect(response.status()).toBe(404)
  await expect(school.getByRole('heading', { name: 'Page not found' })).toBeVisible()
  await checkPage(school)
})

test('a page changed by someone else meanwhile says what changed and changes nothing', async ({ browser }) => {
  const first = await signedInPage(browser, newUser('lead', ALLIANCE))
  const second = await signedInPage(browser, newUser('lead', ALLIANCE))
  // SR-2026-0001 waits for triage: the lead may decline it or withdraw it.
  await first.goto(`${base()}/cases/SR-2026-0001/events/decline_referral`)
  await checkPage(first)
  await second.goto(`${base()}/cases/SR-2026-0001/events/withdraw`)
  await checkPage(second)
  await second.getByLabel('Reason').fill('The school has found help elsewhere')
  await second.getByRole('button', { name: 'Withdraw' }).click()
  await expect(second.getByText('Withdraw: done')).toBeVisible()
  await checkPage(second)
  await first.getByLabel('Reason').fill('No capacity this term')
  await first.getByRole('button', { name: 'Decline referral' }).click()
  await expect(first.getByRole('heading', { name: 'This case has changed' })).toBeVisible()
  await expect(first.getByText('Withdraw, ')).toBeVisible()
  await checkPage(first)
  await screenshot(first, 'stale-page')
  await first.getByRole('link', { name: 'Open SR-2026-0001 to see where it is now' }).click()
  await expect(first.locator('.govuk-tag').first()).toHaveText('Withdrawn')
  await checkPage(first)
})

test('a form without its security code changes nothing', async ({ browser }) => {
  const lead = await signedInPage(browser, newUser('lead', ALLIANCE))
  await lead.goto(`${base()}/cases/SR-2026-0002/events/decline_referral`)
  await checkPage(lead)
  await lead.getByLabel('Reason').fill('No capacity')
  await lead.locator('input[name="csrf_token"]').last().evaluate((input) => input.remove())
  await lead.getByRole('button', { name: 'Decline referral' }).click()
  await expect(lead.getByRole('heading', { name: 'This form has expired' })).toBeVisible()
  await checkPage(lead)
  await lead.goto(`${base()}/cases/SR-2026-0002`)
  await expect(lead.getByRole('link', { name: 'Decline referral' })).toBeVisible()
  await checkPage(lead)
})

test('answers the form or the engine refuses are named in the error summary', async ({ browser }) => {
  const lead = await signedInPage(browser, newUser('lead', ALLIANCE))
  await lead.goto(`${base()}/cases/SR-2026-0002/events/accept_referral`)
  await checkPage(lead)
  await lead.getByLabel('Requested days').fill('lots')
  await lead.getByRole('button', { name: 'Accept referral' }).click()
  const summary = lead.locator('.govuk-error-summary')
  await expect(summary).toBeVisible()
  await expect(summary.getByRole('link', { name: 'Select the priority' })).toBeVisible()
  await expect(summary.getByRole('link', { name: 'The requested days must be a number, like 1 or 0.5' })).toBeVisible()
  expect(await lead.title()).toMatch(/^Error: /)
  await checkPage(lead)
  await screenshot(lead, 'error-summary')
  // The link moves to the answer at fault.
  await summary.getByRole('link', { name: 'Select the priority' }).click()
  await expect(lead.locator('#f-priority')).toBeFocused()
})
