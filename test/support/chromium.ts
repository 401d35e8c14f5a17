import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

/**
 * Debian's Chromium, headless, with nothing of its own reaching the network. Throws, saying how
 * to get one, where there is none: a browser test never passes without a browser.
 */
export function launchChromium(): Promise<Browser> {
  const executablePath = candidates.find((path) => path && existsSync(path));
  if (!executablePath) {
    throw new Error(
      '\n\n!! No Chromium found for the browser tests (looked at CHROMIUM_PATH, /usr/bin/chromium,' +
        ' /usr/bin/chromium-browser).\n!! Run `sh scripts/install-chromium.sh` as root (npm test' +
        ' does), or set CHROMIUM_PATH.\n',
    );
  }
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
