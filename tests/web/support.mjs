// What the browser journeys share: signing in through the emailed link,
// reading the SMTP server's mail, checking each page with axe, and counting
// the pages a journey takes.
import { expect } from '@playwright/test'
import AxeBuilder from '@axe-core/playwright'
import { readdirSync, readFileSync, mkdirSync } from 'node:fs'
import { join, resolve, dirname } from 'node:path'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const base = () => process.env.S2S_BASE_URL

// The messages the SMTP server has taken, oldest first: {to, data}.
export function mail () {
  const folder = process.env.S2S_MAIL_DIR
  return readdirSync(folder).filter((f) => f.endsWith('.json')).sort().map((f) => {
    const m = JSON.parse(readFileSync(join(folder, f), 'utf8'))
    return { to: m.rcpt_tos, data: m.data }
  })
}

// Waits for a message to `address` whose text has `text`, beyond the first `skip`; returns its text.
export async function waitForMail (address, text, skip = 0) {
  for (let i = 0; i < 200; i++) {
    const found = mail().slice(skip).filter((m) => m.to.includes(address) && m.data.includes(text))
    if (found.length > 0) return found[found.length - 1].data
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`no message to ${address} with "${text}"; the server has: ` +
    mail().map((m) => `${m.to}: ${m.data.split('\n').find((l) => l.startsWith('Subject:'))}`).join('; '))
}

// The first link in a message's text that starts with `prefix`.
export function linkIn (data, prefix) {
  const at = data.indexOf(prefix)
  if (at < 0) throw new Error(`no link ${prefix} in ${data}`)
  return data.slice(at).split(/\s/)[0]
}

// Counts the pages loaded in a browser page, and checks each with axe.
export class Journey {
  constructor (page, name) {
    this.page = page
    this.name = name
    this.pages = []
    page.on('load', () => this.pages.push(new URL(page.url()).pathname))
  }

  get count () { return this.pages.length }

  // Pages loaded since `mark` (a count taken earlier).
  since (mark) { return this.pages.slice(mark) }
}

// axe-core on the page as it is, at WCAG 2.2 AA; one h1; a title of its own.
export async function checkPage (page) {
  await page.waitForLoadState('load')
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze()
  const violations = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`)
  expect(violations, `axe on ${page.url()}`).toEqual([])
  await expect(page.locator('h1')).toHaveCount(1)
  expect(await page.title()).toMatch(/ - s2s school-to-school support$/)
}

// Signs in on the page the browser is on (the sign-in page, or a page that
// sent it there) with the link emailed to `email`. Returns the pages it took
// after the link: the link's own page is not counted.
// Sends an event from its open form: `fill` answers the form's questions, then
// the button named `action` is pressed and the case page says it is done;
// both pages are checked with axe.
export async function send (page, action, fill = async () => {}) {
  await checkPage(page)
  await fill()
  await page.getByRole('button', { name: action }).click()
  await expect(page.getByText(`${action}: done`)).toBeVisible()
  await checkPage(page)
}

// Opens an event's form by its link on the case page, then sends it.
export async function act (page, action, fill) {
  await page.getByRole('link', { name: action }).click()
  await send(page, action, fill)
}

export async function signIn (page, email) {
  if (!page.url().includes('/sign-in')) await page.goto(`${base()}/sign-in`)
  await checkPage(page)
  const before = mail().length
  await page.getByLabel('Your work email address').fill(email)
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click()
  await expect(page.getByRole('heading', { name: 'Check your email' })).toBeVisible()
  await checkPage(page)
  const message = await waitForMail(email, 'sign in to s2s', before)
  const link = linkIn(message, `${base()}/sign-in/link?token=`)
  await page.goto(link)
  await checkPage(page)
  await page.getByRole('button', { name: 'Continue' }).click()
}

// A screenshot for people to look at (build/screenshots; the README's come from here).
export async function screenshot (page, name) {
  const folder = join(root, 'build/screenshots')
  mkdirSync(folder, { recursive: true })
  await page.screenshot({ path: join(folder, `${name}.png`), fullPage: true })
}

// A screenshot of one part of a page (a chart), for the README.
export async function screenshotOf (locator, name) {
  const folder = join(root, 'build/screenshots')
  mkdirSync(folder, { recursive: true })
  await locator.screenshot({ path: join(folder, `${name}.png`) })
}

// s2sd's command line on the test database.
export function s2sd (...args) {
  return execFileSync(process.env.S2SD, args, { env: process.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

// The email of a user for system leader `id`: the demo's own for leader 2,
// else one an administrator adds now (once).
export function systemLeaderUser (id) {
  if (id === '2') return 'system-leader@demo.example.org'
  const email = `leader-${id}@demo.example.org`
  try {
    s2sd('user', 'add', '--name', `System leader ${id}`, '--email', email, '--role', 'system_leader',
      '--scope', `system_leader:${id}`)
  } catch (e) {
    if (!String(e.stderr).includes('already exists')) throw e
  }
  return email
}

// A page whose browser is signed in as `email` (by a link an administrator
// printed, so that error tests do not spend the address's emailed links).
export async function signedInPage (browser, email, next = '/') {
  const page = await (await browser.newContext()).newPage()
  const link = s2sd('user', 'sign-in-link', email, '--public-url', base(), '--next', next).trim()
  await page.goto(link)
  await page.getByRole('button', { name: 'Continue' }).click()
  return page
}

// A new user of `role` in `scope` for one test, so that tests do not share a
// person's sign-in links (an address gets five an hour). Returns the email.
let made = 0
export function newUser (role, scope) {
  made += 1
  const email = `${role.replace('_', '-')}-${process.pid}-${made}@test.example.org`
  const args = ['user', 'add', '--name', `Test ${role} ${made}`, '--email', email, '--role', role]
  if (scope) args.push('--scope', scope)
  const printed = s2sd(...args).trim().split('\n')
  newUser.lastToken = printed[printed.length - 1]  // the bearer token, alone on the last line
  return email
}

// A JSON API call with a bearer token; returns the parsed answer.
export async function api (token, method, path, body) {
  const response = await fetch(`${base()}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  })
  const answer = await response.json()
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`)
  return answer
}
