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

test('an admin uploads the GIAS extract and the import report names the broken row by its line', async ({ browser }) => {
  const admin = await signedInPage(browser, newUser('admin'), '/admin/schools')
  await expect(admin.getByRole('heading', { name: 'Schools register' })).toBeVisible()
  await checkPage(admin)
  // Uploading without a file says so.
  await admin.getByRole('button', { name: 'Upload and import' }).click()
  await expect(admin.locator('.govuk-error-summary')).toContainText('Choose the GIAS extract to upload')
  await checkPage(admin)
  // Many rows, so that the import has progress to show, and one broken row.
  const header = 'URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name),OpenDate'
  const rows = []
  for (let i = 0; i < 3000; i++) rows.push(`${700000 + i},Upload Test School ${i},830,Derbyshire,Primary,Open,01-09-2010`)
  rows[1499] = '70x1499,Broken Row School,830,Derbyshire,Primary,Open,01-09-2010'  // line 1501 of the file
  await admin.getByLabel('The GIAS extract').setInputFiles({
    name: 'edubasealldata-test.csv', mimeType: 'text/csv', buffer: Buffer.from([header, ...rows].join('\r\n') + '\r\n'),
  })
  // The page's script asks how far the import has got and moves on to the
  // report when it is done: its question is held until axe has checked the
  // page in progress, which a fast import would otherwise leave mid-check.
  let release
  const checked = new Promise((resolve) => { release = resolve })
  await admin.route('**/admin/schools/import/*/progress*', async (route) => {
    await checked
    await route.continue()
  })
  await admin.getByRole('button', { name: 'Upload and import' }).click()
  await expect(admin.getByRole('heading', { name: 'Import of edubasealldata-test.csv' })).toBeVisible()
  await checkPage(admin)
  release()
  // The page follows the import until it is done, then shows the report.
  await expect(admin.getByRole('heading', { name: 'Import done' })).toBeVisible({ timeout: 60_000 })
  await admin.unrouteAll({ behavior: 'ignoreErrors' })
  await checkPage(admin)
  await screenshot(admin, 'admin-gias-import')
  await expect(admin.locator('.govuk-panel__body')).toHaveText('3,000 rows read')
  const problems = admin.locator('#problems tbody tr')
  await expect(problems).toHaveCount(1)
  await expect(problems.locator('td').first()).toHaveText('1501')
  await expect(problems.locator('td').nth(1)).toContainText("URN '70x1499'")
  await expect(admin.locator('.govuk-summary-list')).toContainText('Rows refused1')
  // The imported schools are on the register; the broken one is not.
  await admin.goto(`${base()}/schools/700000`)
  await expect(admin.getByRole('heading', { name: 'Upload Test School 0' })).toBeVisible()
  // The import is listed on the register page.
  await admin.goto(`${base()}/admin/schools`)
  await expect(admin.locator('tbody')).toContainText('edubasealldata-test.csv')
  await checkPage(admin)
})

test('an admin adds a designation with an end date and sets a leader\'s days, and changes a user\'s scope', async ({ browser }) => {
  const adminEmail = newUser('admin')
  const admin = await signedInPage(browser, adminEmail, '/admin/alliances')
  await expect(admin.getByRole('heading', { name: 'Alliances' })).toBeVisible()
  await checkPage(admin)
  await admin.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'System leaders' }).click()
  await expect(admin.getByRole('heading', { name: 'System leaders' })).toBeVisible()
  await checkPage(admin)
  await admin.getByLabel('Leader name').fill(`Robin Console ${process.pid}`)
  await admin.getByLabel('Email').fill(`robin-${process.pid}@test.example.org`)
  await admin.getByLabel('Home school URN').fill('146330')
  await admin.getByRole('button', { name: 'Add the system leader' }).click()
  await expect(admin.getByText(`Robin Console ${process.pid} is added`)).toBeVisible()
  await checkPage(admin)
  // An SLE in maths from last September, its end before its start refused by name.
  await admin.getByLabel('SLE').check()
  await admin.getByLabel('Specialisms (optional)').fill('maths')
  const year = new Date().getUTCMonth() >= 8 ? new Date().getUTCFullYear() : new Date().getUTCFullYear() - 1
  const from = admin.getByRole('group', { name: 'Active from' })
  await from.getByLabel('Day').fill('1')
  await from.getByLabel('Month').fill('9')
  await from.getByLabel('Year').fill(String(year))
  const to = admin.getByRole('group', { name: 'Active to (optional)' })
  await to.getByLabel('Day').fill('31')
  await to.getByLabel('Month').fill('8')
  await to.getByLabel('Year').fill(String(year - 1))
  await admin.getByRole('button', { name: 'Add the designation' }).click()
  await expect(admin.locator('.govuk-error-summary')).toContainText('cannot end before it starts')
  await checkPage(admin)
  await to.getByLabel('Year').fill(String(year + 2))
  await admin.getByRole('button', { name: 'Add the designation' }).click()
  await expect(admin.getByText('The designation is added')).toBeVisible()
  await expect(admin.locator('table').first()).toContainText(`31 August ${year + 2}`)
  await checkPage(admin)
  // Twenty days this year.
  await admin.getByLabel(`${year}/${String((year + 1) % 100).padStart(2, '0')}`).check()
  await admin.getByLabel('Days offered').fill('20')
  await admin.getByRole('button', { name: 'Set the days offered' }).click()
  await expect(admin.getByText('The days offered are changed')).toBeVisible()
  await checkPage(admin)
  await screenshot(admin, 'admin-system-leader')
  // A lead moved from one mini region to another.
  const lead = newUser('lead', 'mini_region:Derbyshire')
  await admin.goto(`${base()}/admin/users`)
  await admin.locator('tr', { hasText: lead }).getByRole('link', { name: /Change scope/ }).click()
  await checkPage(admin)
  await admin.getByLabel('Scope', { exact: true }).fill('mini_region:Nottinghamshire')
  await admin.getByRole('button', { name: 'Change the scope' }).click()
  await expect(admin.getByText(`The scope of ${lead} is changed`)).toBeVisible()
  await expect(admin.locator('tr', { hasText: lead })).toContainText('Mini region Nottinghamshire')
  await checkPage(admin)
  // All of it is in the audit trail, newest first, under this administrator's name.
  await admin.getByRole('navigation', { name: 'Admin console' }).getByRole('link', { name: 'Audit trail' }).click()
  await checkPage(admin)
  await admin.getByLabel('Who').fill(adminEmail)
  await admin.getByRole('button', { name: 'Show' }).click()
  await checkPage(admin)
  await screenshot(admin, 'admin-audit')
  const rows = admin.locator('#trail tbody tr')
  await expect(rows.nth(0)).toContainText("Changed a user's scope")
  await expect(rows.nth(0)).toContainText('from Mini region Derbyshire to Mini region Nottinghamshire')
  await expect(rows.nth(1)).toContainText('Set the days a system leader offers')
  await expect(rows.nth(2)).toContainText('Added a designation')
  await expect(rows.nth(2)).toContainText(`SLE (maths) from 1 September ${year} to 31 August ${year + 2}`)
  await expect(rows.nth(3)).toContainText('Added a system leader')
  await expect(rows.nth(0)).toContainText(`(${adminEmail})`)
})
