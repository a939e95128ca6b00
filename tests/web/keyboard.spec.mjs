// Every journey works by keyboard alone: reaching each control with Tab and
// using it with Enter, Space or typing. A school signs in and asks for support,
// and a lead declines a referral, without the mouse.
import { test, expect } from '@playwright/test'
import { base, checkPage, linkIn, mail, newUser, s2sd, waitForMail } from './support.mjs'

// Presses Tab until `locator` has the focus; fails if it never does.
async function tabTo (page, locator) {
  for (let i = 0; i < 80; i++) {
    if (await locator.evaluate((el) => el === document.activeElement)) return
    await page.keyboard.press('Tab')
  }
  throw new Error(`Tab never reached ${locator}`)
}

test('a school signs in and asks for support by keyboard alone', async ({ browser }) => {
  const page = await (await browser.newContext()).newPage()
  const email = newUser('school', 'school:146330')
  await page.goto(`${base()}/`)
  await tabTo(page, page.getByLabel('Your work email address'))
  const before = mail().length
  await page.keyboard.type(email)
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible()
  const link = linkIn(await waitForMail(email, 'sign in to s2s', before), `${base()}/sign-in/link?token=`)
  await page.goto(link)
  await tabTo(page, page.getByRole('button', { name: 'Continue' }))
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { name: 'Your cases' })).toBeVisible()

  await tabTo(page, page.getByRole('link', { name: 'Ask for support' }).last())
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { name: 'What does your school need?' })).toBeVisible()
  await tabTo(page, page.locator('input[name="kind"]').first())
  await page.keyboard.press('Space')
  await expect(page.locator('input[name="kind"]').first()).toBeChecked()
  await tabTo(page, page.getByRole('button', { name: 'Continue' }))
  await page.keyboard.press('Enter')
  await tabTo(page, page.getByLabel('Summary'))
  await page.keyboard.type('Help with reading in key stage 1.')
  await tabTo(page, page.getByRole('button', { name: 'Continue' }))
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { name: 'Check your answers before sending' })).toBeVisible()
  await tabTo(page, page.getByRole('button', { name: 'Send request' }))
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { name: 'Request sent' })).toBeVisible()
  await checkPage(page)
})

test('a lead declines a referral by keyboard alone, and the errors are reached by keyboard', async ({ browser }) => {
  const page = await (await browser.newContext()).newPage()
  await page.goto(s2sd('user', 'sign-in-link', newUser('lead', 'alliance:1'), '--public-url', base(), '--next',
    '/cases/SR-2026-0011').trim())
  await tabTo(page, page.getByRole('button', { name: 'Continue' }))
  await page.keyboard.press('Enter')
  await expect(page.getByRole('link', { name: 'Decline referral' })).toBeVisible()
  await tabTo(page, page.getByRole('link', { name: 'Decline referral' }))
  await page.keyboard.press('Enter')
  await tabTo(page, page.getByRole('button', { name: 'Decline referral' }))
  await page.keyboard.press('Enter')
  // Sent empty: the error summary takes the focus, and its link leads to the field.
  await expect(page.locator('.govuk-error-summary')).toBeFocused()
  await tabTo(page, page.getByRole('link', { name: 'Enter the reason' }))
  await page.keyboard.press('Enter')
  await expect(page.getByLabel('Reason')).toBeFocused()
  await page.keyboard.type('The school is already supported by its trust.')
  await tabTo(page, page.getByRole('button', { name: 'Decline referral' }))
  await page.keyboard.press('Enter')
  await expect(page.getByText('Decline referral: done')).toBeVisible()
  await checkPage(page)
})
