// Starts what the browser tests talk to, and stops it after them: a real SMTP
// server (tests/support/smtp_sink.py) and s2sd serving a new SQLite database
// with the demo data. Tests find them through the environment.
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve, dirname } from 'node:path'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

function freePort () {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolvePort(port))
    })
    server.on('error', reject)
  })
}

function waitForText (child, text, what) {
  return new Promise((resolveWait, reject) => {
    let seen = ''
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${seen}`)), 30_000)
    const look = (chunk) => {
      seen += chunk.toString()
      if (seen.includes(text)) {
        clearTimeout(timer)
        resolveWait()
      }
    }
    child.stderr.on('data', look)
    child.stdout.on('data', look)
    child.on('exit', (code) => reject(new Error(`${what} exited with ${code}: ${seen}`)))
  })
}

export default async function globalSetup () {
  const folder = mkdtempSync(join(tmpdir(), 's2s-browser-'))
  const mail = join(folder, 'mail')
  execFileSync('mkdir', ['-p', mail])
  const smtpPort = await freePort()
  const smtp = spawn('/usr/bin/python3', [join(root, 'tests/support/smtp_sink.py'), '--port', String(smtpPort),
    '--folder', mail], { stdio: ['ignore', 'pipe', 'pipe'] })
  await waitForText(smtp, 'listening on', 'the SMTP sink')

  const s2sd = process.env.S2SD || join(root, 'build/test/cli/s2sd')
  const env = { ...process.env, S2S_DATABASE_URL: `sqlite:${join(folder, 's2s.db')}` }
  execFileSync(s2sd, ['migrate'], { env, stdio: 'ignore' })
  execFileSync(s2sd, ['demo', 'load'], { env, stdio: 'ignore' })
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const server = spawn(s2sd, ['serve', '--listen', `127.0.0.1:${port}`, '--smtp-url', `smtp://127.0.0.1:${smtpPort}`,
    '--public-url', base, '--notify-poll-ms', '100'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  await waitForText(server, 'serving http://', 's2sd')

  process.env.S2S_BASE_URL = base
  process.env.S2S_MAIL_DIR = mail
  process.env.S2S_DATABASE_URL = env.S2S_DATABASE_URL
  process.env.S2SD = s2sd
  return async () => {
    server.kill('SIGTERM')
    smtp.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 300))
    rmSync(folder, { recursive: true, force: true })
  }
}
