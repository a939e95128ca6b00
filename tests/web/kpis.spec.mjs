// The KPI page's charts say what the API says: every chart's table and every
// bar's figure equal GET /api/v1/reports/kpis for the same scope, and the
// cases behind a KPI are one click away.
import { test, expect } from '@playwright/test'
import { api, checkPage, newUser, screenshot, screenshotOf, signedInPage } from './support.mjs'

// A figure as the pages print it: "3", "2.5" (one decimal at most).
const figure = (n) => Number.isInteger(n) ? String(n) : n.toFixed(1)
const money = (n) => '£' + Math.round(n).toLocaleString('en-GB')
const monthName = (m) => new Date(`${m}-01T12:00:00Z`).toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' })

// The rows of a chart's table, as arrays of cell texts.
async function tableOf (page, id) {
  return page.locator(`[data-chart-table="${id}"] tbody tr`).evaluateAll((rows) =>
    rows.map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent.trim())))
}

// The figures the drawing carries: [label, value, part].
async function barsOf (page, id) {
  return page.locator(`svg#${id} .s2s-chart__item`).evaluateAll((items) =>
    items.map((g) => [g.dataset.label, Number(g.dataset.value), g.dataset.part === undefined ? null : Number(g.dataset.part)]))
}

async function expectChartsMatch (page, report) {
  // Month by month: days, ratings, rated good.
  const months = report.months
  expect(months.length).toBeGreaterThan(0)
  expect(await tableOf(page, 'chart-days-by-month')).toEqual(
    months.map((m) => [monthName(m.month), figure(m.days), String(m.ratings), String(m.rated_good)]))
  expect((await barsOf(page, 'chart-days-by-month')).map((b) => b[1])).toEqual(months.map((m) => m.days))
  expect((await barsOf(page, 'chart-ratings-by-month')).map((b) => [b[1], b[2]])).toEqual(
    months.map((m) => [m.ratings, m.rated_good]))
  // The months add up to the funding rows' days and the rated KPI.
  const days = months.reduce((a, m) => a + m.days, 0)
  expect(days).toBeCloseTo(report.funding.reduce((a, f) => a + f.days, 0), 6)
  const rated = report.kpis.find((k) => k.id === 'rated_good_or_better')
  expect(months.reduce((a, m) => a + m.ratings, 0)).toBe(rated.denominator)
  expect(months.reduce((a, m) => a + m.rated_good, 0)).toBe(rated.numerator)
  // Referral to match, in bands; they add up to the median's cases.
  expect((await tableOf(page, 'chart-referral-to-match')).map((r) => Number(r[1]))).toEqual(
    report.referral_to_match.map((b) => b.cases))
  const median = report.kpis.find((k) => k.id === 'referral_to_match_median')
  expect(report.referral_to_match.reduce((a, b) => a + b.cases, 0)).toBe(median.denominator)
  // Open cases by phase.
  const phases = ['referral', 'matching', 'deployment', 'evaluation']
  expect(await tableOf(page, 'chart-open-by-phase')).toEqual(
    phases.map((p) => [p[0].toUpperCase() + p.slice(1), String(report.open_by_phase[p] ?? 0)]))
  // Days and spend by funding source.
  if (report.funding.length > 0) {
    expect(await tableOf(page, 'chart-funding')).toEqual(
      report.funding.map((f) => [f.funding_source, figure(f.days), f.spend === null ? 'Not costed' : money(f.spend)]))
    expect((await barsOf(page, 'chart-funding')).map((b) => b[1])).toEqual(report.funding.map((f) => f.days))
  }
  // Engagement per mini region.
  expect(await tableOf(page, 'chart-engagement')).toEqual(report.engagement.map((e) =>
    [e.mini_region ?? 'No mini region', String(e.schools), String(e.with_case), String(e.in_alliance), String(e.with_neither)]))
  expect((await barsOf(page, 'chart-engagement')).map((b) => [b[1], b[2]])).toEqual(
    report.engagement.map((e) => [e.schools, e.with_case]))
  // Days to schools in need per teaching school, against the 30 line.
  const inNeed = report.kpis.find((k) => k.id === 'deployment_days_in_need')
  if ((inNeed.teaching_schools ?? []).length > 0) {
    expect((await tableOf(page, 'chart-days-in-need')).map((r) => [r[0], r[1]])).toEqual(
      inNeed.teaching_schools.map((t) => [t.name, figure(t.actual)]))
    expect(await page.locator('svg#chart-days-in-need .s2s-chart__line').getAttribute('data-value')).toBe('30')
  }
  // And the KPI table's figures.
  for (const k of report.kpis) {
    const row = page.locator(`#kpi-${k.id}`)
    if (k.actual === null) await expect(row.locator('td').first()).toHaveText(/None yet/)
    else await expect(row.locator('td').first()).toContainText(figure(k.actual))
  }
}

test('the KPI page\'s charts and tables agree with the API for the same scope', async ({ browser }) => {
  const email = newUser('strategic')
  const token = newUser.lastToken
  const page = await signedInPage(browser, email, '/kpis?day_rate=450')
  await expect(page.getByRole('heading', { name: /^KPIs for / })).toBeVisible()
  await checkPage(page)
  const year = await page.locator('#academic_year').inputValue()
  const all = await api(token, 'GET', `/api/v1/reports/kpis?academic_year=${encodeURIComponent(year)}&day_rate=450`)
  expect(all.months.some((m) => m.days > 0)).toBe(true)  // the demo has days logged this year
  await expectChartsMatch(page, all)
  await screenshot(page, 'strategic-kpis')
  await screenshotOf(page.locator('[data-chart="chart-days-by-month"]'), 'kpis-chart-days-by-month')
  await screenshotOf(page.locator('[data-chart="chart-open-by-phase"]'), 'kpis-chart-open-by-phase')

  // A mini region, chosen on the page.
  const region = all.engagement.find((e) => e.mini_region && e.with_case > 0).mini_region
  await page.getByLabel('Mini region', { exact: true }).selectOption(region)
  await page.getByRole('button', { name: 'Show' }).click()
  await expect(page.locator('p.govuk-body').first()).toContainText(`the schools of ${region}`)
  await checkPage(page)
  const scoped = await api(token, 'GET',
    `/api/v1/reports/kpis?academic_year=${encodeURIComponent(year)}&day_rate=450&mini_region=${encodeURIComponent(region)}`)
  await expectChartsMatch(page, scoped)

  // The cases behind the open cases, one click away, with the scope kept.
  const open = scoped.kpis.find((k) => k.id === 'open_cases')
  await page.getByRole('link', { name: /cases behind it\W+Open cases$/ }).click()
  await expect(page.getByRole('heading', { name: 'Open cases' })).toBeVisible()
  await expect(page.getByRole('heading', { name: `The cases behind it (${open.actual})` })).toBeVisible()
  await checkPage(page)
  const listed = await page.locator('tbody tr').count()
  expect(listed).toBe(Math.min(open.actual, 50))
  const explained = await api(token, 'GET',
    `/api/v1/reports/kpis?academic_year=${encodeURIComponent(year)}&mini_region=${encodeURIComponent(region)}&explain=open_cases`)
  const first = await page.locator('tbody tr a').first().textContent()
  expect(explained.kpis.find((k) => k.id === 'open_cases').cases).toContain(first)
  await page.locator('tbody tr a').first().click()
  await expect(page).toHaveURL(new RegExp(`/cases/${first}$`))
  await expect(page.locator('main')).toContainText(first)
})

test('a lead sees the KPIs of their own scope only, without a scope to choose', async ({ browser }) => {
  const email = newUser('lead', 'mini_region:Derbyshire')
  const page = await signedInPage(browser, email, '/kpis')
  await expect(page.locator('p.govuk-body').first()).toContainText('the schools of Derbyshire')
  await expect(page.getByLabel('Mini region', { exact: true })).toHaveCount(0)
  await checkPage(page)
  // Asking for another scope by the address is refused, not quietly widened.
  const other = await page.goto(page.url().replace(/\/kpis.*$/, '/kpis?alliance=1'))
  expect(other.status()).toBe(403)
  await checkPage(page)
})
