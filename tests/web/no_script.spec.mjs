// Every page works without JavaScript: forms post and redirect, and the
// script only enhances. A school signs in and rates support with scripts off.
import { test, expect } from '@playwright/test'
import { base, linkIn, mail, newUser, waitForMail } from './support.mjs'

test('with JavaScript off, a person signs in, asks for support and sees the case', async ({ browser }) => {
  const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage()
  const email = newUser('school', 'school:146330')
  await page.goto(`${base()}/`)
  await expect(page.locator('body')).not.toHaveClass(/govuk-frontend-supported/)
  const before = mail().length
  await page.getByLabel('Your work email address').fill(email)
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click()
  const link = linkIn(await waitForMail(email, 'sign in to s2s', before), `${base()}/sign-in/link?token=`)
  await page.goto(link)
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.getByRole('link', { name: 'Ask for support' }).last().click()
  await page.getByLabel('Pupil premium review').check()
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.getByRole('button', { name: 'Continue' }).click()
  // Sent empty: the error summary and the field's own message, from the server alone.
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter the summary')
  await expect(page.locator('#f-summary-error')).toContainText('Enter the summary')
  await page.getByLabel('Summary').fill('How we spend the pupil premium in key stage 2.')
  await page.getByRole('button', { name: 'Continue' }).click()
  await page.getByRole('button', { name: 'Send request' }).click()
  await expect(page.getByRole('heading', { name: 'Request sent' })).toBeVisible()
  const reference = (await page.locator('.govuk-panel__body strong').textContent()).trim()
  expect(reference).toMatch(/^PP-\d{4}-\d{4}$/)
  await page.getByRole('link', { name: `Open ${reference}` }).click()
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ladybrook Fields Primary Academy')
  await expect(page.getByRole('link', { name: 'Withdraw' })).toBeVisible()
  // (axe needs scripts to run; the journeys with scripts on check these pages.)
  await expect(page.locator('h1')).toHaveCount(1)
})
