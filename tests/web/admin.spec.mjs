// The admin console: an administrator invites a school user, who signs in
// by the invitation and sees only their own school's cases.
import { test, expect } from '@playwright/test'
import { base, checkPage, linkIn, mail, newUser, screenshot, signedInPage, waitForMail } from './support.mjs'

test('an admin invites a user who signs in by the invitation and sees only their scope', async ({ browser }) => {
  const admin = await signedInPage(browser, newUser('admin'), '/admin/users')
  await expect(admin.getByRole('heading', { name: 'Users' })).toBeVisible()
  await checkPage(admin)
  await admin.getByRole('link', { name: 'Invite a user' }).click()
  await checkPage(admin)
  // A scope that does not fit the role is named, and nobody is created.
  const email = `head-${process.pid}@test.example.org`
  await admin.getByLabel('Name', { exact: true }).fill('Pat Head')
  await admin.getByLabel('Work email address').fill(email)
  await admin.getByLabel(/^School \(scope/).check()
  await admin.getByLabel('Scope (optional)').fill('alliance:1')
  await admin.getByRole('button', { name: 'Send the invitation' }).click()
  await expect(admin.locator('.govuk-error-summary')).toContainText('a school needs')
  await checkPage(admin)
  const before = mail().length
  await admin.getByLabel('Scope (optional)').fill('school:146330')
  await admin.getByRole('button', { name: 'Send the invitation' }).click()
  await expect(admin.getByText(`Invitation sent to ${email}`)).toBeVisible()
  await checkPage(admin)
  await screenshot(admin, 'admin-users')
  await admin.getByRole('link', { name: 'Closure days' }).click()
  await checkPage(admin)
  await admin.getByRole('link', { name: 'Notifications that failed' }).click()
  await checkPage(admin)
  await admin.getByRole('link', { name: 'Webhooks' }).click()
  await admin.getByRole('textbox', { name: 'For' }).fill('alliance:1')
  await admin.getByRole('textbox', { name: 'Address' }).fill(`https://hooks.example.org/${process.pid}`)
  await admin.getByRole('button', { name: 'Add the webhook' }).click()
  await expect(admin.getByRole('heading', { name: 'Webhook added' })).toBeVisible()
  await expect(admin.locator('#secret')).toHaveText(/^whsec_[0-9a-f]{64}$/)
  await checkPage(admin)
  await admin.getByRole('link', { name: 'Back to webhooks' }).click()
  await checkPage(admin)

  const invited = await (await browser.newContext()).newPage()
  const link = linkIn(await waitForMail(email, 'sign in to s2s', before), `${base()}/sign-in/link?token=`)
  await invited.goto(link)
  await invited.getByRole('button', { name: 'Continue' }).click()
  await expect(invited.getByText('Signed in as Pat Head (School)')).toBeVisible()
  await invited.getByRole('link', { name: 'Cases', exact: true }).click()
  await checkPage(invited)
  const schools = await invited.locator('tbody tr td:nth-child(2)').allTextContents()
  expect(schools.length).toBeGreaterThan(0)
  for (const school of schools) expect(school.trim()).toBe('Ladybrook Fields Primary Academy')
})
