/**
 * Debian's Chromium for the browser tests, driven by playwright-core: whether it is here (on CI
 * it must be: scripts/ensure-chromium.sh installs it), how it is launched, and the two checks
 * every page gets (a screenshot under test-output/, and axe-core).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const CHROMIUM = '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps calling hosts this machine cannot reach.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where screenshots go. */
export const OUTPUT = path.resolve('test-output');

/** Whether Chromium is installed; off CI a missing one skips the browser tests, with a warning. */
export const chromiumAvailable = fs.existsSync(CHROMIUM);
if (!chromiumAvailable && process.env.CI === 'true') {
  throw new Error(`${CHROMIUM} is required on CI: run scripts/ensure-chromium.sh as root`);
}
if (!chromiumAvailable) console.warn(`${CHROMIUM} not found; browser tests are skipped`);

/** A headless Chromium, each launch in a fresh temporary profile that Playwright removes. */
export function launchChromium(): Promise<Browser> {
  fs.mkdirSync(OUTPUT, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

/** Saves a full-page screenshot as test-output/<name>. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(OUTPUT, name), fullPage: true });
}

/** Checks the page with axe-core: no violation of any kind. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  // Every rule runs; only violations are collected node by node (the rest would be discarded).
  const results = await new AxeBuilder({ page }).options({ resultTypes: ['violations'] }).analyze();
  const violations = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
  expect(violations, `axe-core on ${name}`).toEqual([]);
}

/** Saves a screenshot of the page and checks it with axe-core. */
export async function look(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  await expectAccessible(page, name);
}
