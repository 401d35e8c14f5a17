/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { builtServices } from '../../src/build/services.ts';
import { loadCatalog } from '../../src/catalog/load.js';
import { changelogSections } from '../../src/contract-diff/changelog.ts';
import { buildDocs } from '../../src/docs/build.ts';
import { type ReferenceDocument, referenceOperations } from '../../src/docs/operations.ts';
import { createPlatformApp } from '../../src/platform/app.ts';
import { launchChromium } from '../support/chromium.ts';

// The docs as `npm start` serves them, opened in headless Chromium. Screenshots are kept in
// test-results/docs/ for a person to look at.

const screenshots = 'test-results/docs';
const services = builtServices();
let server: Server;
let origin: string;
let browser: Browser;
let context: BrowserContext;
/** Every request a page made to anything but this server. */
const leftTheMachine: string[] = [];

beforeAll(async () => {
  const docs = join(mkdtempSync(join(tmpdir(), 'docs-')), 'docs');
  await buildDocs(services, docs);
  server = createPlatformApp(services, [], docs).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !/^(data|blob):/.test(url)) {
      leftTheMachine.push(url);
    }
  });
  mkdirSync(screenshots, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function open(path: string): Promise<Page> {
  const page = await context.newPage();
  const answer = await page.goto(`${origin}${path}`, { waitUntil: 'networkidle' });
  expect(answer?.status(), path).toBe(200);
  return page;
}

describe('/docs', () => {
  it('lists every API with its reference, error catalog and changelog', async () => {
    const page = await open('/docs');
    for (const { service } of services) {
      const card = page.locator(`li#${service}`);
      await expect(card.locator(`a[href="/docs/${service}"]`).first().isVisible()).resolves.toBe(
        true,
      );
      expect(await card.locator(`a[href="/docs/${service}/errors"]`).count()).toBe(1);
      expect(await card.locator(`a[href="/docs/${service}/changelog"]`).count()).toBe(1);
    }
    await page.screenshot({ path: `${screenshots}/landing.png` });
    await page.close();
    expect(leftTheMachine).toEqual([]);
  });
});

describe.each(services)('/docs/$service', ({ service, document: file, catalog: catalogFile }) => {
  const operations = referenceOperations(parse(readFileSync(file, 'utf8')) as ReferenceDocument);
  const catalog = loadCatalog(catalogFile);

  it('renders the reference, every operation at the route the catalog links to', async () => {
    const page = await open(`/docs/${service}`);
    await page.locator('#api-content').waitFor();
    await page.screenshot({ path: `${screenshots}/${service}-reference.png` });
    const unreachable: string[] = [];
    for (const operation of operations) {
      await page.evaluate((route) => {
        window.location.hash = route;
      }, operation.route);
      const shown = await page
        .waitForFunction(
          ({ id, summary }) => document.getElementById(id)?.textContent?.includes(summary),
          { id: operation.route.slice(2), summary: operation.summary },
          { timeout: 5000 },
        )
        .then(() => true)
        .catch(() => false);
      if (!shown) {
        unreachable.push(`${operation.operationId} at ${operation.route}`);
      }
    }
    expect(unreachable).toEqual([]);
    const busiest = operations.reduce((most, operation) =>
      operation.errors.length > most.errors.length ? operation : most,
    );
    await page.evaluate((route) => {
      window.location.hash = route;
    }, busiest.route);
    await page.waitForFunction(
      (id) => Math.abs(document.getElementById(id)?.getBoundingClientRect().top ?? 999) < 100,
      busiest.route.slice(2),
    );
    await page.screenshot({ path: `${screenshots}/${service}-operation.png` });
    await page.close();
    expect(leftTheMachine).toEqual([]);
  }, 120_000);

  it('names every code of the catalog under its anchor, linked to its operations', async () => {
    const page = await open(`/docs/${service}/errors`);
    const anchors = await page
      .locator('article.entry')
      .evaluateAll((entries) =>
        entries.map((entry) => [entry.id, entry.querySelector('h3')?.textContent ?? '']),
      );
    expect(anchors.map(([id]) => id).sort()).toEqual(
      catalog.errors.map((entry) => entry.name).sort(),
    );
    for (const [id, heading] of anchors) {
      expect(heading).toContain(id);
    }
    const routes = new Set(operations.map((operation) => `/docs/${service}${operation.route}`));
    const links = await page
      .locator('ul.operations a')
      .evaluateAll((anchors) => anchors.map((anchor) => anchor.getAttribute('href')));
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((link) => !routes.has(link ?? ''))).toEqual([]);
    await page.screenshot({ path: `${screenshots}/${service}-errors.png` });
    await page.close();
    expect(leftTheMachine).toEqual([]);
  });

  it("shows the service's CHANGELOG.md sections, each under its version's anchor", async () => {
    const versions = changelogSections(readFileSync('CHANGELOG.md', 'utf8'))
      .filter((section) => section.service === service)
      .map((section) => `v${section.version}`);
    const page = await open(`/docs/${service}/changelog`);
    const shown = await page
      .locator('section.release')
      .evaluateAll((sections) => sections.map((section) => section.id));
    expect(shown).toEqual(versions);
    await page.screenshot({ path: `${screenshots}/${service}-changelog.png` });
    await page.close();
    expect(leftTheMachine).toEqual([]);
  });

  it('finds a code by its wire code or name, and opens at its anchor', async () => {
    const entry = catalog.errors.at(-1);
    if (!entry) {
      throw new Error(`${service} has no codes`);
    }
    const page = await open(`/docs/${service}/errors#${encodeURIComponent(entry.name)}`);
    expect(await page.locator('article.entry:target').getAttribute('id')).toBe(entry.name);
    await page.locator('#filter').fill(String(entry.code ?? entry.name).toLowerCase());
    const shown = await page
      .locator('article.entry:visible')
      .evaluateAll((entries) => entries.map((shownEntry) => shownEntry.id));
    expect(shown).toContain(entry.name);
    expect(shown.length).toBeLessThan(catalog.errors.length);
    await page.screenshot({ path: `${screenshots}/${service}-errors-filtered.png` });
    await page.close();
  });
});
