/**
 * The API reference (/docs) in a real headless Chromium: it renders Roster's title, the guide
 * to the API and every operation of /openapi.json, loading nothing from elsewhere, with no
 * Content-Security-Policy violation. A screenshot is saved under test-output/.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser } from 'playwright-core';
import { chromiumAvailable, launchChromium, OUTPUT } from '../support/browser.js';
import { useRoster } from '../support/roster.js';

interface OpenApi {
  info: { title: string };
  paths: Record<string, Record<string, unknown>>;
}

describe.skipIf(!chromiumAvailable)('the API reference in a real browser', () => {
  const roster = useRoster('sqlite');
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("renders Roster's reference with the guide and every operation, loading only from this server", async () => {
    const openapi = (await (await fetch(`${roster.url}/openapi.json`)).json()) as OpenApi;
    // Each operation shows as its method over its path (the reference lists them per tag).
    const operations = Object.entries(openapi.paths).flatMap(([route, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()}\n${route}`),
    );
    expect(operations.length).toBeGreaterThanOrEqual(11);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    const elsewhere: string[] = [];
    const violations: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (!['data:', 'blob:'].includes(url.protocol) && url.origin !== new URL(roster.url).origin) {
        elsewhere.push(request.url());
      }
    });
    // Every violation of the policy is reported to the page as an event, whether or not the
    // browser also logs it.
    await page.exposeFunction('reportViolation', (violation: string) => violations.push(violation));
    await page.addInitScript(
      "document.addEventListener('securitypolicyviolation', (event) =>" +
        " window.reportViolation(event.violatedDirective + ' ' + event.blockedURI))",
    );

    const response = await page.goto(`${roster.url}/docs`);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('Roster API reference');
    await page
      .getByRole('heading', { name: openapi.info.title })
      .first()
      .waitFor({ timeout: 20_000 });
    await page.getByRole('heading', { name: 'How the API behaves' }).first().waitFor();
    const text = await page.locator('body').innerText();
    for (const operation of operations) expect(text, operation).toContain(operation);
    expect(text).not.toMatch(/swagger|fastify/i);
    await page.screenshot({ path: path.join(OUTPUT, 'browser-docs.png') });

    expect(problems).toEqual([]);
    // The one refusal is expected: the reference's bundled schema library probes whether it may
    // compile code (`new Function('')` in a try) and, refused, validates without it.
    expect(violations.filter((violation) => violation !== 'script-src eval')).toEqual([]);
    expect(elsewhere).toEqual([]);
    await context.close();
  });
});
