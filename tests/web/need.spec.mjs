// The schools in need, as a lead and an administrator use them: the lead
// finds the school nobody has reached at the top, with why and its last
// inspection, and refers it in one click; the administrator reads the
// criteria in force, is told plainly what a criterion lacks, adds one and
// removes it again.
import { test, expect } from '@playwright/test'
import { base, checkPage, newUser, screenshot, signedInPage } from './support.mjs'

test('a lead finds the school in need that nobody has reached and refers it', async ({ browser }) => {
  const lead = await signedInPage(browser, newUser('lead', 'alliance:1'), '/')
  await lead.getByRole('link', { name: 'Schools in need' }).click()
  await expect(lead.getByRole('heading', { name: 'Schools in need' })).toBeVisible()
  await checkPage(lead)
  await screenshot(lead, 'need-register')
  // Saltfleet Marsh is in need by its report card alone, and nobody has reached it: it comes first.
  const first = lead.locator('#need-register tbody tr').first()
  await expect(first).toContainText('Saltfleet Marsh Primary School')
  await expect(first).toContainText('Urgent improvement in an area of its latest report card')
  await expect(first).toContainText(/Report card, \d+ \w+ \d{4}: safeguarding met/)
  await expect(first).toContainText('No support')
  // Each mini region's reach is a table with its figures.
  await expect(lead.locator('#need-reach tbody tr').first()).toBeVisible()
  // The criteria in force are one click away.
  await lead.getByText('What makes a school in need').click()
  await expect(lead.locator('details li', { hasText: 'meets the SSIF eligibility criteria' })).toBeVisible()
  // The cold spots are one click away, each LA with its figures.
  await lead.getByRole('link', { name: 'cold spots' }).click()
  await expect(lead.getByRole('heading', { name: 'Cold spots' })).toBeVisible()
  await checkPage(lead)
  await screenshot(lead, 'need-cold-spots')
  await expect(lead.locator('#cold-las tbody tr').first()).toBeVisible()
  // The map draws each of the lead's LAs in its band, with the same figure as its row.
  const squares = lead.locator('svg.s2s-map .s2s-map__tile:not([data-band="out"])')
  expect(await squares.count()).toBeGreaterThan(0)
  const code = await squares.first().getAttribute('data-la')
  const figure = await squares.first().locator('.s2s-map__figure').textContent().catch(() => null)
  if (figure !== null) await expect(lead.locator(`#la-${code}`)).toContainText(figure)
  await expect(lead.getByRole('img', { name: 'Free days for each school in need, by local authority' })).toBeVisible()
  await expect(lead.locator('#cold-map-key')).toContainText('Cold spot: fewer than 10 free days')
  await lead.getByRole('link', { name: 'Back to the schools in need' }).click()
  // Referring it starts the referral with the school filled in.
  await first.getByRole('link', { name: /Refer Saltfleet Marsh Primary School for support/ }).click()
  await checkPage(lead)
  await expect(lead.getByLabel("The school's URN")).toHaveValue('120588')
})

test('an administrator adds a criterion of need, told plainly what it lacks, and removes it', async ({ browser }) => {
  const admin = await signedInPage(browser, newUser('admin'), '/admin/need')
  await expect(admin.getByRole('heading', { name: 'Criteria of need' })).toBeVisible()
  await checkPage(admin)
  await screenshot(admin, 'admin-need-criteria')
  const rows = admin.locator('#need-criteria tbody tr')
  const before = await rows.count()
  await expect(rows.first()).toContainText('safeguarding not met at its latest inspection')
  // Without the words, the form says so and adds nothing.
  await admin.getByLabel('A grade on the latest report card').check()
  await admin.locator('#f-card_from').selectOption('4')
  await admin.locator('#f-card_to').selectOption('5')
  await admin.getByLabel('In', { exact: true }).selectOption('inclusion')
  await admin.getByRole('button', { name: 'Add the criterion' }).click()
  await expect(admin.getByRole('heading', { name: 'There is a problem' })).toBeVisible()
  await expect(admin.locator('.govuk-error-summary')).toContainText('Enter the words that say why')
  await checkPage(admin)
  await expect(rows).toHaveCount(before)
  // With them, it is added where asked.
  await admin.getByLabel('The words that say why').fill('needs attention in inclusion on its latest report card')
  await admin.getByLabel('Its place in the order').fill('3')
  await admin.getByRole('button', { name: 'Add the criterion' }).click()
  await expect(admin.getByText('The criterion is added')).toBeVisible()
  await checkPage(admin)
  await expect(rows).toHaveCount(before + 1)
  await expect(rows.nth(2)).toContainText('needs attention in inclusion on its latest report card')
  // And removed again.
  await rows.nth(2).getByRole('button', { name: /Remove/ }).click()
  await expect(admin.getByText('The criterion is removed')).toBeVisible()
  await expect(rows).toHaveCount(before)
})

test('the strategic group sees the map of every area, as squares with the same figures as the table', async ({ browser }) => {
  const admin = await signedInPage(browser, newUser('admin'), '/need/cold-spots')
  await expect(admin.getByRole('heading', { name: 'Cold spots' })).toBeVisible()
  await checkPage(admin)
  await screenshot(admin, 'need-cold-spots-map')
  const rows = admin.locator('#cold-las tbody tr')
  const drawn = admin.locator('svg.s2s-map .s2s-map__tile:not([data-band="out"])')
  // Every LA in the table is a square of the map, or is named as having none.
  if (await admin.getByText(/^No square on the map/).count() === 0) await expect(drawn).toHaveCount(await rows.count())
  for (const square of await drawn.all()) {
    const code = await square.getAttribute('data-la')
    await expect(admin.locator(`#la-${code}`)).toHaveCount(1)
    const band = await square.getAttribute('data-band')
    const row = admin.locator(`#la-${code}`)
    if (band === 'cold') await expect(row).toContainText('Cold spot')
    else await expect(row).not.toContainText('Cold spot')
  }
})

test('a lead reads whether each teaching school will make its 30 days, on the KPI page and the dashboard', async ({ browser }) => {
  const lead = await signedInPage(browser, newUser('lead', 'alliance:1'), '/kpis')
  const heading = lead.getByRole('heading', { name: 'Will we make it by 31 August?' })
  await expect(heading).toBeVisible()
  await checkPage(lead)
  await heading.scrollIntoViewIfNeeded()
  await screenshot(lead, 'kpis-forecast')
  // The alliance's teaching school, with its days given, planned and its forecast in words.
  const row = lead.locator('#forecast-days tbody tr').first()
  await expect(row).toContainText('Peak and Trent')
  await expect(row.locator('.govuk-tag')).toHaveText(/On course|At risk|Will miss/)
  await expect(row).toContainText(/days? /)
  await expect(lead.locator('#forecast-ratings')).toContainText('Support rated good or better (target 90%)')
  // The dashboard lists it when it is not on course, and links to the whole forecast.
  const outlook = (await row.locator('.govuk-tag').textContent()).trim()
  await lead.goto(`${base()}/dashboard`)
  await checkPage(lead)
  const section = lead.locator('#forecast')
  await expect(section).toHaveText('Teaching schools at risk of missing their 30 days')
  if (outlook !== 'On course') await expect(lead.locator('main')).toContainText('Peak and Trent')
  await lead.getByRole('link', { name: 'See the forecast for every teaching school' }).click()
  await expect(lead.getByRole('heading', { name: 'Will we make it by 31 August?' })).toBeVisible()
})
