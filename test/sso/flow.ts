/**
 * A person's way through single sign-on, over plain HTTP: Roster's sign-in page, the
 * provider's own sign-in and consent pages, and back to Roster's callback.
 */
import { expect } from 'vitest';
import type { IdentityProvider } from '../support/identity-provider.js';
import type { TestRoster } from '../support/roster.js';
import { newVisitor, type Page, type Visitor } from '../self-service/visitor.js';

/** Where a page sends the browser at once (its meta refresh), if anywhere. */
export function refreshTarget(page: Page): string | undefined {
  const match = /<meta http-equiv="refresh" content="0; url=([^"]+)"/.exec(page.body);
  return match?.[1]?.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

/** The form on a provider page: its action and the values of its hidden fields. */
function formOf(page: Page): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]+)"/.exec(page.body)?.[1];
  if (!action) throw new Error(`no form on the provider's page: ${page.body.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const [, name, value] of page.body.matchAll(
    /<input type="hidden" name="([^"]+)" value="([^"]*)"/g,
  )) {
    fields[name!] = value!;
  }
  return { action, fields };
}

/** Starts single sign-on on Roster's sign-in page; the answer is Roster's page. */
export async function startSso(
  browser: Visitor,
  email: string,
  extra: Record<string, string> = {},
): Promise<Page> {
  await browser.get('/login');
  return browser.post('/sso/start', { email, ...extra });
}

/**
 * At the provider, from the authorization URL: signs in as `login` on its page, consents,
 * and returns the path and query it sends the browser back to at Roster (the callback).
 */
export async function atProvider(
  provider: IdentityProvider,
  authorizationUrl: string,
  login: string,
  rosterPublicUrl = 'http://roster.test',
): Promise<string> {
  const browser = newVisitor(provider.issuer);
  const issuer = new URL(provider.issuer);
  let url = new URL(authorizationUrl);
  for (let step = 0; step < 12; step++) {
    const page = await browser.get(url.pathname + url.search);
    let next: string | undefined = page.location;
    if (!next && page.status === 200) {
      const form = formOf(page);
      const fields =
        form.fields.prompt === 'login' || page.body.includes('name="login"')
          ? { prompt: 'login', ...form.fields, login, password: 'anything' }
          : form.fields;
      const posted = await browser.post(form.action, fields);
      next = posted.location;
    }
    if (!next) throw new Error(`the provider stopped at ${url.href}: ${page.status}`);
    const target = new URL(next, issuer);
    if (target.href.startsWith(`${rosterPublicUrl}/`)) return target.pathname + target.search;
    url = target;
  }
  throw new Error('the provider never sent the browser back');
}

/** The whole way: Roster's page, the provider as `login`, back to Roster's callback. */
export async function signInWithSso(
  roster: TestRoster,
  provider: IdentityProvider,
  email: string,
  login = email,
  browser = newVisitor(roster.url),
): Promise<{ browser: Visitor; page: Page }> {
  const started = await startSso(browser, email);
  expect(started.status, started.body).toBe(200);
  const authorizationUrl = refreshTarget(started);
  expect(authorizationUrl).toBeDefined();
  const callback = await atProvider(provider, authorizationUrl!, login);
  return { browser, page: await browser.get(callback) };
}
