/**
 * How emails are compared (see README, "Email addresses"): NFKC, then lower case. The same
 * person must not get two accounts through Unicode spellings of one address.
 */
import { afterEach, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, useRoster, type Caller } from '../support/roster.js';
import { linkIn } from '../support/smtp.js';
import { checkInvariants } from './invariants.js';

describeEachDatabase('email normalisation and inert names', (database) => {
  const roster = useRoster(database);
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });
  // The invariants hold after every scenario, whatever it did.
  afterEach(() => checkInvariants(roster.server.deps.db, { now: roster.clock.now() }));

  const create = (email: string, name = 'Person') =>
    roster.api(admin.key, 'POST', '/v2/users', {
      name,
      email,
      role: { type: 'predefined', name: 'member' },
      invite_mode: 'email_link',
    });

  it.each([
    ['upper and lower case', 'Ann.Lee@Example.COM', 'ann.lee@example.com'],
    ['NFC and NFD spellings', 'jos\u00e9@example.com', 'jose\u0301@example.com'],
    ['the Kelvin sign and K', '\u212Aelvin@example.com', 'kelvin@example.com'],
    ['full-width and ASCII letters', '\uFF41bc@example.com', 'abc@example.com'],
    ['capital and small sharp s', 'gro\u1E9Ee@example.com', 'gro\u00DFe@example.com'],
  ])('%s are one person (200 on the second create)', async (_label, first, second) => {
    const a = await create(first);
    expect(a.status).toBe(201);
    const b = await create(second);
    expect(b.status).toBe(200);
    expect(b.body.id).toBe(a.body.id);
    expect(b.body.email).toBe(first);
  });

  it.each([
    ['dotless i and i', 'd\u0131ana@example.com', 'diana@example.com'],
    ['sharp s and ss', 'stra\u00DFe@example.com', 'strasse@example.com'],
  ])('%s are different addresses', async (_label, first, second) => {
    const a = await create(first);
    const b = await create(second);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.id).not.toBe(a.body.id);
  });

  it('template and HTML syntax in a name arrive inert in the email', async () => {
    const name = '{{7*7}} ${7*7} <script>alert(1)</script> <b>x</b>';
    const email = 'inert@example.com';
    const created = await create(email, name);
    expect(created.status).toBe(201);
    expect(created.body.name).toBe(name);
    const [mail] = await roster.smtp.waitFor((m) => m.to.includes(email));
    expect(mail!.text).toContain('{{7*7}} ${7*7} <script>alert(1)</script>');
    // Shown as typed, not evaluated: the greeting holds the name verbatim.
    expect(mail!.text).toContain(`Hello ${name},`);
    expect(mail!.html).not.toContain('<script>');
    expect(mail!.html).toContain('&#60;script&#62;');
    expect(linkIn(mail!, '/invitations/accept')).toMatch(/token=/);
  });
});
