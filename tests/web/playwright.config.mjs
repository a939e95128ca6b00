// Browser tests of the web pages (docs/web.md): Playwright driving Debian's
// chromium against a real s2sd with a real SMTP server, both started by
// global-setup.mjs. Run by ./scripts/test (npm run test:browser).
import { defineConfig } from '@playwright/test'

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.mjs/,
  globalSetup: './global-setup.mjs',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: '../../build/browser-test-results',
  use: {
    viewport: { width: 1100, height: 900 },
    launchOptions: {
      executablePath: process.env.S2S_CHROMIUM || '/usr/bin/chromium',
      // The machine has no outside network: keep chromium from trying.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
             '--disable-component-update', '--disable-sync'],
    },
    trace: 'off',
  },
})
