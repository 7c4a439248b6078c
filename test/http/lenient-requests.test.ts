/**
 * What HTTP allows, Roster accepts: the auth scheme in any case with any number of spaces, and
 * a path with a trailing slash.
 */
import { beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, type Caller, useRoster } from '../support/roster.js';

describeEachDatabase('requests as HTTP allows them', (database) => {
  const roster = useRoster(database);
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });

  it('the Bearer scheme is case-insensitive and may be followed by several spaces', async () => {
    for (const scheme of ['Bearer ', 'bearer ', 'BEARER ', 'Bearer   ']) {
      const response = await fetch(`${roster.url}/v2/users`, {
        headers: { authorization: `${scheme}${admin.key}` },
      });
      expect(response.status, scheme).toBe(200);
    }
    const basic = await roster.api(undefined, 'GET', '/v2/users', undefined, {
      authorization: `Basic ${admin.key}`,
    });
    expect(basic.status).toBe(401);
  });

  it('a trailing slash reaches the same route', async () => {
    const list = await roster.api(admin.key, 'GET', '/v2/users/');
    expect(list.status).toBe(200);
    expect(list.body.users.map((u: { email: string }) => u.email)).toContain(admin.email);
    const one = await roster.api(admin.key, 'GET', `/v2/users/${admin.userId}/`);
    expect(one.status).toBe(200);
    expect(one.body.email).toBe(admin.email);
  });
});

describeEachDatabase('a path that is no page', (database) => {
  const roster = useRoster(database);

  it('is a small HTML page for a browser, and a problem for the API', async () => {
    const page = await fetch(`${roster.url}/no-such-page`, {
      headers: { accept: 'text/html,application/xhtml+xml' },
    });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('There is no page here');

    const api = await fetch(`${roster.url}/no-such-page`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');

    const underApi = await fetch(`${roster.url}/v2/nothing`, { headers: { accept: 'text/html' } });
    expect(underApi.headers.get('content-type')).toContain('application/problem+json');
  });
});
