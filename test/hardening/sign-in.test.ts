/**
 * Sign-in under attack: the failed-try limit is one bucket per normalised email whatever the
 * form names, and the work of a sign-in (counted in argon2 verifications, through the password
 * module every sign-in goes through) does not depend on how many accounts the email is in.
 */
import { afterEach, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, uniqueEmail, type Caller, useRoster } from '../support/roster.js';
import { decodeId } from '../../src/http/global-id.js';
import { hashPassword, verificationCount } from '../../src/auth/passwords.js';
import { SIGN_IN_CHECKS } from '../../src/self-service/rules.js';
import { newVisitor } from '../self-service/visitor.js';
import { signIn } from '../self-service/people.js';
import { checkInvariants } from './invariants.js';

const PASSWORD = 'a long and unusual passphrase 42';
const WRONG = 'not the passphrase at all 17';

describeEachDatabase('sign-in under attack', (database) => {
  const roster = useRoster(database);
  let admins: Caller[];
  let passwordHash: string;

  beforeAll(async () => {
    admins = [];
    for (let i = 0; i < 5; i++) admins.push(await roster.newAccount());
    passwordHash = await hashPassword(PASSWORD);
  });
  afterEach(() => checkInvariants(roster.server.deps.db, { now: roster.clock.now() }));

  async function create(admin: Caller, email: string, mode: string) {
    const created = await roster.api(admin.key, 'POST', '/v2/users', {
      name: 'Pat Person',
      email,
      role: { type: 'predefined', name: 'member' },
      invite_mode: mode,
    });
    expect(created.status).toBe(201);
    return created.body as { id: string; temporary_password?: string };
  }

  /** An active person with PASSWORD (or `hash`) in each of the given accounts. */
  async function personIn(accounts: Caller[], hash = () => passwordHash): Promise<string> {
    const email = uniqueEmail('member');
    for (const admin of accounts) {
      const { id } = await create(admin, email, 'none');
      await roster.server.deps.db.kysely
        .updateTable('users')
        .set({ password_hash: hash() })
        .where('id', '=', decodeId('User', id)!)
        .execute();
    }
    return email;
  }

  /** The argon2 verifications one sign-in makes, and its answer. */
  async function measured(address: string, email: string, password: string, form = {}) {
    const browser = newVisitor(roster.url, address);
    await browser.get('/login');
    const before = verificationCount();
    const page = await browser.post('/login', { email, password, ...form });
    return { checks: verificationCount() - before, status: page.status, body: page.body };
  }

  it('naming an account, any account or none, does not give an email more tries', async () => {
    const email = await personIn([admins[0]!, admins[1]!]);
    const forms = [
      {},
      { account: admins[0]!.accountId },
      { account: admins[1]!.accountId },
      { account: admins[2]!.accountId },
      { account: 'not-an-account' },
    ];
    for (let i = 0; i < 10; i++) {
      const page = await signIn(newVisitor(roster.url, '127.0.1.1'), email, WRONG, forms[i % 5]);
      expect(page.status, `try ${i}`).toBe(401);
    }
    for (const form of forms) {
      const page = await signIn(newVisitor(roster.url, '127.0.1.2'), email, PASSWORD, form);
      expect(page.status, JSON.stringify(form)).toBe(429);
    }
    // The email in another spelling is the same bucket.
    const upper = await signIn(newVisitor(roster.url, '127.0.1.2'), email.toUpperCase(), PASSWORD);
    expect(upper.status).toBe(429);
  });

  it('a wrong password costs the same work for an unknown email and for one in one or several accounts', async () => {
    const invited = uniqueEmail('invited');
    await create(admins[0]!, invited, 'email_link');
    const temporary = uniqueEmail('temporary');
    await create(admins[0]!, temporary, 'temporary_password');
    const sso = uniqueEmail('sso');
    await create(admins[0]!, sso, 'none');
    const emails: Record<string, string> = {
      unknown: uniqueEmail('nobody'),
      'invited, no password yet': invited,
      'live temporary password': temporary,
      'single sign-on only': sso,
      'one account': await personIn(admins.slice(0, 1)),
      'two accounts': await personIn(admins.slice(0, 2)),
      'three accounts': await personIn(admins.slice(0, 3)),
      'five accounts': await personIn(admins.slice(0, 5)),
    };
    const unnamed: Record<string, number> = {};
    const named: Record<string, number> = {};
    for (const [label, email] of Object.entries(emails)) {
      const plain = await measured('127.0.1.3', email, WRONG);
      expect(plain.status, label).toBe(401);
      unnamed[label] = plain.checks;
      for (const account of [admins[0]!.accountId, admins[4]!.accountId]) {
        const withAccount = await measured('127.0.1.3', email, WRONG, { account });
        expect(withAccount.status, label).toBe(401);
        named[`${label} (${account === admins[0]!.accountId ? 'own' : 'other'} account)`] =
          withAccount.checks;
      }
    }
    const all = (table: Record<string, number>, n: number) =>
      Object.fromEntries(Object.keys(table).map((label) => [label, n]));
    expect(unnamed).toEqual(all(unnamed, SIGN_IN_CHECKS));
    expect(named).toEqual(all(named, 1));
  });

  it('the right password costs the same, and a person in two accounts still chooses one', async () => {
    const one = await personIn(admins.slice(0, 1));
    const two = await personIn(admins.slice(0, 2));
    const signedIn = await measured('127.0.1.4', one, PASSWORD);
    expect(signedIn).toMatchObject({ status: 303, checks: SIGN_IN_CHECKS });
    const chooser = await measured('127.0.1.4', two, PASSWORD);
    expect(chooser).toMatchObject({ status: 200, checks: SIGN_IN_CHECKS });
    expect(chooser.body).toContain(`Account ${admins[0]!.email}`);
    expect(chooser.body).toContain(`Account ${admins[1]!.email}`);
    const chosen = await measured('127.0.1.4', two, PASSWORD, { account: admins[1]!.accountId });
    expect(chosen).toMatchObject({ status: 303, checks: 1 });
  });

  it("past the accounts a sign-in checks, the person signs in from the account's own page", async () => {
    const other = await hashPassword('the fifth account has its own 99');
    let n = 0;
    const email = await personIn(admins, () => (++n === 5 ? other : passwordHash));
    const unnamed = await measured('127.0.1.5', email, 'the fifth account has its own 99');
    expect(unnamed).toMatchObject({ status: 401, checks: SIGN_IN_CHECKS });
    const named = await measured('127.0.1.5', email, 'the fifth account has its own 99', {
      account: admins[4]!.accountId,
    });
    expect(named).toMatchObject({ status: 303, checks: 1 });
  });
});
