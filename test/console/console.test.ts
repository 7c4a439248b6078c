/**
 * The admin console over HTTP: who may open each route (an admin, a member, an annotator, a
 * signed-out visitor, another account's admin), CSRF on every form, and that its actions go
 * through the API's use cases (the API sees their effect, the audit log their entries).
 */
import { beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, useRoster, uniqueEmail, type Caller } from '../support/roster.js';
import { activePerson, invite } from '../self-service/people.js';
import { newVisitor, type Visitor } from '../self-service/visitor.js';

type Role = 'admin' | 'member' | 'annotator';

describeEachDatabase('the admin console', (database) => {
  const roster = useRoster(database);
  let owner: Caller;
  let admin: Visitor;
  let member: Visitor;
  let annotator: Visitor;
  let stranger: Visitor;
  let target: { id: string; internalId: string; email: string; name: string };

  /** A person of `role` in the account of `by`, signed in with a password in a new browser. */
  async function signedIn(by: Caller, role: Role): Promise<Visitor> {
    return (await activePerson(roster, by, role)).browser;
  }

  beforeAll(async () => {
    owner = await roster.newAccount();
    const other = await roster.newAccount();
    [admin, member, annotator, stranger] = await Promise.all([
      signedIn(owner, 'admin'),
      signedIn(owner, 'member'),
      signedIn(owner, 'annotator'),
      signedIn(other, 'admin'),
    ]);
    target = await invite(roster, owner, 'email_link', 'member');
  });

  const pagesOf = () => [
    '/admin',
    '/admin/invite',
    `/admin/users/${target.internalId}`,
    `/admin/users/${target.internalId}/delete`,
    `/admin/users/${target.internalId}/email`,
    '/admin/audit',
    '/admin/account',
  ];
  const formsOf = () => [
    '/admin/invite',
    `/admin/users/${target.internalId}`,
    `/admin/users/${target.internalId}/resend`,
    `/admin/users/${target.internalId}/reset`,
    `/admin/users/${target.internalId}/keys/revoke`,
    `/admin/users/${target.internalId}/delete`,
    '/admin/account/name',
    '/admin/account/sso',
    '/admin/account/email/retry',
  ];

  it('an admin opens every page', async () => {
    for (const path of pagesOf()) {
      const page = await admin.get(path);
      expect(page.status, path).toBe(200);
      expect(page.headers['content-security-policy'], path).toContain("script-src 'self'");
      expect(page.headers['cache-control'], path).toBe('no-store');
    }
  });

  it('a member sees the people and a person, read only, and is refused everything else', async () => {
    const people = await member.get('/admin');
    expect(people.status).toBe(200);
    expect(people.body).toContain(target.email);
    expect(people.body).not.toContain('Invite someone');
    const person = await member.get(`/admin/users/${target.internalId}`);
    expect(person.status).toBe(200);
    expect(person.body).not.toContain('Save changes');
    for (const path of pagesOf().slice(1)) {
      if (path === `/admin/users/${target.internalId}`) continue;
      expect((await member.get(path)).status, path).toBe(403);
    }
    await member.get('/admin');
    for (const path of formsOf()) {
      expect((await member.post(path, { name: 'Changed by a member' })).status, path).toBe(403);
    }
    expect((await roster.api(owner.key, 'GET', `/v2/users/${target.id}`)).body.name).toBe(
      target.name,
    );
  });

  it('an annotator is refused every page and form', async () => {
    for (const path of pagesOf()) {
      const page = await annotator.get(path);
      expect(page.status, path).toBe(403);
      expect(page.body, path).toContain('You cannot use the console');
    }
    await annotator.get('/account');
    for (const path of formsOf()) {
      expect((await annotator.post(path, { name: 'x' })).status, path).toBe(403);
    }
  });

  it('a signed-out visitor is sent to sign in, and back to the page after', async () => {
    const visitor = newVisitor(roster.url);
    for (const path of pagesOf()) {
      const page = await visitor.get(path);
      expect(page.status, path).toBe(303);
      expect(page.location, path).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    await visitor.get('/login');
    for (const path of formsOf()) {
      const page = await visitor.post(path, { name: 'x' });
      expect(page.status, path).toBe(303);
      expect(page.location, path).toMatch(/^\/login\?next=/);
    }
    // Signing in from there comes back to the page asked for.
    const person = await invite(roster, owner, 'temporary_password', 'admin');
    const login = await visitor.get(`/login?next=${encodeURIComponent('/admin/audit')}`);
    expect(login.body).toContain('name="next" value="/admin/audit"');
    const signed = await visitor.post('/login', {
      email: person.email,
      password: person.temporaryPassword!,
      next: '/admin/audit',
    });
    expect(signed.location).toBe('/password/change');
    // Only console paths: another site is never a place to go.
    const elsewhere = await newVisitor(roster.url).get('/login?next=//evil.example/admin');
    expect(elsewhere.body).not.toContain('name="next"');
  });

  it("another account's admin sees their own account only: this one's people are not found", async () => {
    const people = await stranger.get('/admin');
    expect(people.status).toBe(200);
    expect(people.body).not.toContain(target.email);
    expect((await stranger.get(`/admin/users/${target.internalId}`)).status).toBe(404);
    expect((await stranger.get(`/admin/users/${target.internalId}/delete`)).status).toBe(404);
    expect((await stranger.get(`/admin/users/${target.internalId}/email`)).status).toBe(404);
    await stranger.get('/admin');
    for (const path of formsOf().filter((p) => p.includes('/users/'))) {
      expect((await stranger.post(path, { name: 'Stolen' })).status, path).toBe(404);
    }
    expect((await roster.api(owner.key, 'GET', `/v2/users/${target.id}`)).body.status).toBe(
      'invited',
    );
  });

  it('every form refuses a post without its CSRF token, and changes nothing', async () => {
    await admin.get('/admin');
    for (const path of formsOf()) {
      const page = await admin.post(path, { _csrf: 'forged', name: 'Forged' });
      expect(page.status, path).toBe(403);
      expect(page.body, path).toContain('This page has expired');
      const missing = await admin.post(path, { _csrf: '', name: 'Forged' });
      expect(missing.status, path).toBe(403);
    }
    const user = await roster.api(owner.key, 'GET', `/v2/users/${target.id}`);
    expect(user.body.name).toBe(target.name);
    expect(user.body.status).toBe('invited');
  });

  it('invite, edit and delete go through the API’s rules, with audit entries', async () => {
    await admin.get('/admin/invite');
    const email = uniqueEmail('console');
    const made = await admin.post('/admin/invite', {
      name: 'Console Person',
      email,
      role: 'predefined:member',
      is_developer: 'yes',
      invite_mode: 'temporary_password',
    });
    expect(made.status).toBe(201);
    expect(made.headers['cache-control']).toBe('no-store');
    const password = /<code[^>]*id="secret"[^>]*>\s*([^<\s]+)\s*<\/code/.exec(made.body)?.[1];
    expect(password).toMatch(/^.{20}$/);
    const again = await admin.post('/admin/invite', {
      name: 'Console Person',
      email,
      role: 'predefined:member',
      invite_mode: 'email_link',
    });
    expect(again.status).toBe(200);
    expect(again.body).toContain('was already invited');
    expect(again.body).not.toContain(password!);

    const bad = await admin.post('/admin/invite', {
      name: '',
      email: 'not-an-email',
      role: 'predefined:member',
      invite_mode: 'email_link',
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/id="(name|email)-error"/);

    const listed = await roster.api(
      owner.key,
      'GET',
      `/v2/users?email=${encodeURIComponent(email)}`,
    );
    const user = listed.body.users[0];
    const internalId = Buffer.from(user.id, 'base64').toString().slice('User:'.length);
    const edited = await admin.post(`/admin/users/${internalId}`, {
      name: 'Renamed Person',
      role: 'predefined:annotator',
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toContain('Changes saved.');
    const after = await roster.api(owner.key, 'GET', `/v2/users/${user.id}`);
    expect(after.body).toMatchObject({
      name: 'Renamed Person',
      role: { type: 'predefined', name: 'annotator' },
      is_developer: false,
    });

    const emptyName = await admin.post(`/admin/users/${internalId}`, {
      name: '   ',
      role: 'predefined:member',
    });
    expect(emptyName.status).toBe(400);
    expect(emptyName.body).toContain('id="name-error"');

    const confirm = await admin.get(`/admin/users/${internalId}/delete`);
    expect(confirm.body).toContain('Delete Renamed Person');
    const deleted = await admin.post(`/admin/users/${internalId}/delete`, {});
    expect(deleted.status).toBe(303);
    expect((await roster.api(owner.key, 'GET', `/v2/users/${user.id}`)).status).toBe(404);

    const log = await roster.api(owner.key, 'GET', `/v2/audit-logs?limit=100`);
    const names = log.body.logs
      .filter((e: { operation_text: string }) => e.operation_text.startsWith('POST /admin'))
      .map((e: { operation_name: string }) => e.operation_name);
    expect(names).toEqual(expect.arrayContaining(['createUser', 'updateUser', 'deleteUser']));
  });

  it('the account can be renamed from the console, with the name checked', async () => {
    await admin.get('/admin/account');
    const empty = await admin.post('/admin/account/name', { name: ' ' });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('id="name-error"');
    const renamed = await admin.post('/admin/account/name', { name: 'Renamed Co' });
    expect(renamed.status).toBe(303);
    expect((await admin.get('/admin/account')).body).toContain('value="Renamed Co"');
  });
});
