// A support request from start to end, by the four people it takes, each in
// their own browser and each signed in by the link emailed to them: the school
// asks for support; the lead accepts, reads the matches and proposes; the
// system leader accepts; the lead agrees the plan; the system leader logs days
// and corrects one; the lead completes; the school follows "Rate it" from its
// email and rates; the lead records the impact and closes. Every page is
// checked with axe, and the pages the plan's people take are counted and held.
import { test, expect } from '@playwright/test'
import { act, base, checkPage, Journey, linkIn, mail, screenshot, send, signIn, systemLeaderUser, waitForMail } from './support.mjs'

const SCHOOL = 'school@demo.example.org'
const LEAD = 'lead@demo.example.org'

function dateParts (offsetDays) {
  const d = new Date(Date.now() + offsetDays * 86_400_000)
  return { day: String(d.getUTCDate()), month: String(d.getUTCMonth() + 1), year: String(d.getUTCFullYear()) }
}

async function fillDate (page, legend, parts) {
  const group = page.getByRole('group', { name: legend })
  await group.getByLabel('Day').fill(parts.day)
  await group.getByLabel('Month').fill(parts.month)
  await group.getByLabel('Year').fill(parts.year)
}

test('a support request from referral to closure, by four people in four browsers', async ({ browser }) => {
  // The whole journey in four browsers, with axe on every page: on a busy
  // 2-core machine it takes longer than one page's journey.
  test.setTimeout(240_000)
  const school = await (await browser.newContext()).newPage()
  const lead = await (await browser.newContext()).newPage()
  const leader = await (await browser.newContext()).newPage()
  const counts = {}

  // The school asks for support: question pages, check answers, confirmation.
  await school.goto(`${base()}/`)
  await signIn(school, SCHOOL)
  await expect(school.getByRole('heading', { name: 'Your cases' })).toBeVisible()
  await checkPage(school)
  await school.getByRole('link', { name: 'Ask for support' }).first().click()
  await checkPage(school)
  await school.getByLabel('Support request').check()
  await school.getByRole('button', { name: 'Continue' }).click()
  await checkPage(school)
  await school.getByLabel('Summary').fill('Our year 6 writing results fell this summer; we would like help with teaching extended writing.')
  await school.getByRole('button', { name: 'Continue' }).click()
  await expect(school.getByRole('heading', { name: 'Check your answers before sending' })).toBeVisible()
  await checkPage(school)
  await screenshot(school, 'school-check-answers')
  await school.getByRole('button', { name: 'Send request' }).click()
  await expect(school.getByRole('heading', { name: 'Request sent' })).toBeVisible()
  await checkPage(school)
  await screenshot(school, 'school-request-sent')
  const reference = (await school.locator('.govuk-panel__body strong').textContent()).trim()
  expect(reference).toMatch(/^SR-\d{4}-\d{4}$/)

  // The lead: from the home page to a proposed system leader in at most five pages.
  await lead.goto(`${base()}/`)
  await signIn(lead, LEAD)
  const leadJourney = new Journey(lead, 'lead')
  await lead.goto(`${base()}/`)
  await checkPage(lead)
  const start = leadJourney.count - 1
  await lead.locator(`a[href="/cases/${reference}/events/accept_referral"]`).click()
  await send(lead, 'Accept referral', async () => {
    await lead.getByLabel('High').check()
    await lead.getByLabel('Focus areas').fill('writing, leadership')
    await lead.getByLabel('Requested days').fill('3')
    await lead.getByLabel('Funding source').fill('SSIF')
  })
  await lead.getByRole('link', { name: 'Propose provider' }).click()
  await checkPage(lead)
  await screenshot(lead, 'lead-matches')
  const first = lead.locator('input[name="provider_id"]').first()
  const leaderId = await first.getAttribute('value')
  await first.check()
  await lead.getByRole('button', { name: 'Propose provider' }).click()
  await expect(lead.getByText('Propose provider: done')).toBeVisible()
  await checkPage(lead)
  counts.leadReferralToProposal = leadJourney.since(start).length
  expect(counts.leadReferralToProposal).toBeLessThanOrEqual(5)

  // The proposed system leader: a user of theirs, made by an administrator.
  const leaderEmail = systemLeaderUser(leaderId)
  await leader.goto(`${base()}/`)
  await signIn(leader, leaderEmail)
  await checkPage(leader)
  await leader.locator(`a[href="/cases/${reference}/events/provider_accepts"]`).click()
  await send(leader, 'Provider accepts')

  // The lead agrees the plan.
  await lead.goto(`${base()}/cases/${reference}`)
  await checkPage(lead)
  await act(lead, 'Agree plan', async () => {
    await lead.getByLabel('Objectives').fill('Teachers plan and teach extended writing; pupils write at length each week.')
    await lead.getByLabel('Planned days').fill('3')
    await fillDate(lead, 'Starts date', dateParts(0))
    await fillDate(lead, 'Ends date', dateParts(60))
  })

  // The system leader logs a day in at most two pages from their home page, then corrects it.
  const leaderJourney = new Journey(leader, 'system leader')
  await leader.goto(`${base()}/`)
  await checkPage(leader)
  const home = leaderJourney.count - 1
  await leader.locator(`a[href="/cases/${reference}/events/log_days"]`).click()
  await send(leader, 'Log days', async () => {
    await screenshot(leader, 'leader-log-days')
    await fillDate(leader, 'Date', dateParts(0))
    await leader.getByLabel('Days', { exact: true }).fill('1')
    await leader.getByLabel('Activity').fill('Lesson observations in year 6')
  })
  counts.leaderLogsADay = leaderJourney.since(home + 1).length
  expect(counts.leaderLogsADay).toBeLessThanOrEqual(2)
  const entry = (await leader.locator('table:has(caption:has-text("days in force")) tbody tr td').first().textContent()).trim()
  await leader.getByRole('link', { name: 'Log days' }).click()
  await checkPage(leader)
  await fillDate(leader, 'Date', dateParts(0))
  await leader.getByLabel('Days', { exact: true }).fill('0.5')
  await leader.getByLabel('Activity').fill('Lesson observations in year 6 (half a day)')
  await leader.getByLabel('Corrects (optional)').fill(entry)
  await leader.getByRole('button', { name: 'Log days' }).click()
  await expect(leader.getByText('Log days: done')).toBeVisible()
  await expect(leader.getByText('0.5 days in force')).toBeVisible()
  await checkPage(leader)
  await screenshot(leader, 'leader-case')

  // The KPI of ratings before this one.
  const ratingKpi = async () => {
    await lead.goto(`${base()}/kpis`)
    await checkPage(lead)
    const text = await lead.locator('#kpi-rated_good_or_better td').first().textContent()
    const counted = /(\d+) of (\d+)/.exec(text)
    return counted ? { good: Number(counted[1]), all: Number(counted[2]) } : { good: 0, all: 0 }
  }
  const ratingsBefore = await ratingKpi()

  // The lead completes the deployment: the school is asked to rate it.
  await lead.goto(`${base()}/cases/${reference}`)
  await checkPage(lead)
  const before = mail().length
  await act(lead, 'Complete deployment')

  // The school follows "Rate it" from its email, signed out: at most two pages after the sign-in link.
  const rateMail = await waitForMail(SCHOOL, `Please rate the support on ${reference}`, before)
  const rateIt = linkIn(rateMail, `${base()}/cases/${reference}/events/submit_rating`)
  const rater = await (await browser.newContext()).newPage()
  const raterJourney = new Journey(rater, 'school rating')
  await rater.goto(rateIt)
  await expect(rater).toHaveURL(/\/sign-in\?next=/)
  await signIn(rater, SCHOOL)
  await expect(rater.getByRole('heading', { name: 'Submit rating' })).toBeVisible()
  await checkPage(rater)
  await screenshot(rater, 'school-rating')
  await rater.getByLabel('1 outstanding').check()
  await rater.getByLabel('Comment (optional)').fill('Clear, practical and it worked with our year 6 team.')
  await rater.getByRole('button', { name: 'Submit rating' }).click()
  await expect(rater.getByText('Submit rating: done')).toBeVisible()
  await checkPage(rater)
  counts.schoolRateItToRecorded = raterJourney.since(raterJourney.pages.lastIndexOf('/sign-in/link') + 1).length
  expect(counts.schoolRateItToRecorded).toBeLessThanOrEqual(2)

  // The lead records the impact and closes the case.
  await lead.goto(`${base()}/cases/${reference}`)
  await checkPage(lead)
  await act(lead, 'Record impact', async () => {
    await lead.getByLabel('Outcome').fill('Objectives met: teachers plan extended writing every week.')
    await lead.getByLabel('Impact').fill('Writing at greater depth rose from 8% to 19% in the spring assessment.')
  })
  await lead.getByRole('link', { name: 'Close', exact: true }).click()
  await checkPage(lead)
  await lead.getByRole('button', { name: 'Close' }).click()
  await expect(lead.getByText('Close: done')).toBeVisible()
  await expect(lead.locator('.govuk-tag').first()).toHaveText('Closed')
  await expect(lead.getByText('Grade', { exact: true })).toBeVisible()
  await checkPage(lead)
  await screenshot(lead, 'lead-closed-case')

  // The KPI page counts the rating: one more rating, and one more good or better.
  const ratingsAfter = await ratingKpi()
  expect(ratingsAfter.all).toBe(ratingsBefore.all + 1)
  expect(ratingsAfter.good).toBe(ratingsBefore.good + 1)
  await screenshot(lead, 'lead-kpis')

  console.log(`pages: lead, new referral to proposed provider: ${counts.leadReferralToProposal} (at most 5); ` +
    `system leader, home to a logged day: ${counts.leaderLogsADay} (at most 2); ` +
    `school, Rate it email to recorded rating after the sign-in link: ${counts.schoolRateItToRecorded} (at most 2)`)
})
