// A risk assessment that recommends support: the LA officer asks for it, the
// lead accepts and proposes an assessor, the system leader accepts and
// reports a high risk, and the lead recommends support, which opens a
// support request for the school. Every page is checked with axe.
import { test, expect } from '@playwright/test'
import { act, base, checkPage, signIn, systemLeaderUser } from './support.mjs'

test('a risk assessment asked for by the LA officer ends in a recommended support request', async ({ browser }) => {
  const officer = await (await browser.newContext()).newPage()
  await officer.goto(`${base()}/refer`)
  await signIn(officer, 'la@demo.example.org')
  await expect(officer.getByRole('heading', { name: 'Which school, and what is needed?' })).toBeVisible()
  await checkPage(officer)
  await officer.getByLabel("The school's URN").fill('148502')
  await officer.getByLabel('Risk assessment').check()
  await officer.getByRole('button', { name: 'Continue' }).click()
  await checkPage(officer)
  await officer.getByLabel('Local authority').check()
  await officer.getByLabel('Summary').fill('Attendance has fallen for two terms and the head has left.')
  await officer.getByLabel('High').check()
  await officer.getByRole('button', { name: 'Continue' }).click()
  await checkPage(officer)
  await officer.getByRole('button', { name: 'Send request' }).click()
  await checkPage(officer)
  const reference = (await officer.locator('.govuk-panel__body strong').textContent()).trim()
  expect(reference).toMatch(/^RA-\d{4}-\d{4}$/)

  const lead = await (await browser.newContext()).newPage()
  await lead.goto(`${base()}/cases/${reference}`)
  await signIn(lead, 'lead@demo.example.org')
  await expect(lead.getByRole('heading', { name: 'Hasland Vale Academy' })).toBeVisible()
  await act(lead, 'Accept request')
  await lead.getByRole('link', { name: 'Propose assessor' }).click()
  await checkPage(lead)
  const first = lead.locator('input[name="provider_id"]').first()
  const leaderId = await first.getAttribute('value')
  await first.check()
  await lead.getByRole('button', { name: 'Propose assessor' }).click()
  await expect(lead.getByText('Propose assessor: done')).toBeVisible()
  await checkPage(lead)

  const leader = await (await browser.newContext()).newPage()
  await leader.goto(`${base()}/cases/${reference}`)
  await signIn(leader, systemLeaderUser(leaderId))
  await act(leader, 'Assessor accepts')
  await act(leader, 'Submit report', async () => {
    await leader.getByLabel('High').check()
    await leader.getByLabel('Recommendations').fill('Support from an NLE for leadership, and attendance work with the LA.')
  })

  await lead.goto(`${base()}/cases/${reference}`)
  await checkPage(lead)
  await act(lead, 'Recommend support', async () => {
    await lead.getByLabel('Summary').fill('Leadership support for the acting head, and attendance.')
  })
  // The support request it opened is on the school's list of cases.
  await lead.goto(`${base()}/cases?kind=support_request&text=Hasland`)
  await checkPage(lead)
  await expect(lead.locator('tbody tr').first()).toContainText('Hasland Vale Academy')
  await expect(lead.locator('tbody tr').first()).toContainText('Referred')
})
