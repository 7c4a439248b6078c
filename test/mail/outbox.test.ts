/**
 * Email through the transactional outbox, end to end: what the email says, how many go out,
 * retries with backoff, giving up, SMTP outages, restarts, the mailbox-file default, and promptness.
 * Each suite has a database of its own, so no other test file's worker takes its email.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/passwords.js';
import { sha256 } from '../../src/auth/secrets.js';
import { decodeId } from '../../src/http/global-id.js';
import { createUser } from '../../src/users/service.js';
import type { OutboxTable } from '../../src/db/tables.js';
import type { Deps } from '../../src/deps.js';
import { loadConfig } from '../../src/config.js';
import { connect } from '../../src/db/connect.js';
import {
  describeEachDatabase,
  startRoster,
  uniqueEmail,
  type Caller,
  type DatabaseName,
  type TestRoster,
} from '../support/roster.js';
import { ownDatabase, type OwnDatabase } from '../support/own-database.js';
import { mboxFiles, readMbox } from '../support/mbox.js';
import { linkIn, startSmtp, type TestSmtp } from '../support/smtp.js';
import type { WorkerOptions } from '../../src/mail/worker.js';

const MAIL_FROM = 'Acme People <people@acme.test>';
const BACKOFF_BASE_MS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function member(email: string, mode: string) {
  return {
    name: 'Grace Hopper',
    email,
    role: { type: 'predefined', name: 'member' },
    invite_mode: mode,
  };
}

async function outboxRows(deps: Pick<Deps, 'db'>, recipient: string): Promise<OutboxTable[]> {
  const rows = await deps.db.kysely
    .selectFrom('outbox')
    .selectAll()
    .where('recipient', '=', recipient)
    .execute();
  return rows.map((row) => ({ ...row, attempts: Number(row.attempts) }));
}

/** After the email to `recipient` arrived: no second copy follows, and its row ended sent after `attempts`. */
async function expectSentOnce(
  smtp: TestSmtp,
  deps: Pick<Deps, 'db'>,
  recipient: string,
  attempts: number,
): Promise<void> {
  await sleep(600);
  expect(smtp.to(recipient)).toHaveLength(1);
  const rows = await outboxRows(deps, recipient);
  expect(rows.map((r) => [r.status, r.attempts])).toEqual([['sent', attempts]]);
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

async function rowWith(
  deps: Deps,
  recipient: string,
  predicate: (row: OutboxTable) => boolean,
  what: string,
  timeoutMs?: number,
): Promise<OutboxTable> {
  return eventually(
    async () => (await outboxRows(deps, recipient)).find(predicate),
    `${what} (${recipient})`,
    timeoutMs,
  );
}

/** A TCP port nothing listens on (for now). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function smtpRefusal(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

function recipientOf(session: { envelope: { rcptTo: { address: string }[] } }): string {
  return session.envelope.rcptTo.map((r) => r.address.toLowerCase()).join(',');
}

describeEachDatabase('outbox delivery', (database) => {
  let own: OwnDatabase;
  let roster: TestRoster;
  let admin: Caller;

  beforeAll(async () => {
    own = await ownDatabase(database);
    roster = await startRoster(database, {
      env: { ROSTER_DATABASE_URL: own.url, ROSTER_MAIL_FROM: MAIL_FROM },
      worker: { backoffBaseMs: BACKOFF_BASE_MS, backoffMaxMs: 1000, maxAttempts: 4 },
    });
    admin = await roster.newAccount();
  });
  afterAll(async () => {
    await roster.close();
    await own.drop();
  });

  const post = (body: unknown) => roster.api(admin.key, 'POST', '/v2/users', body);
  const deps = () => roster.server.deps;

  describe('content', () => {
    it('the invitation goes to the user, from ROSTER_MAIL_FROM, with a subject and a working-looking link', async () => {
      const email = uniqueEmail('Invitee');
      expect((await post(member(email, 'email_link'))).status).toBe(201);
      const [mail] = await roster.smtp.waitFor((m) => m.to.includes(email.toLowerCase()));
      expect(mail!.to).toEqual([email.toLowerCase()]);
      expect(mail!.from).toBe('people@acme.test');
      expect(mail!.raw).toMatch(/^From: Acme People <people@acme\.test>$/m);
      expect(mail!.raw).toMatch(new RegExp(`^To: ${email.replace(/[.+]/g, '\\$&')}$`, 'mi'));
      expect(mail!.subject).toBe(`You're invited to Account ${admin.email}`);
      expect(mail!.text).toContain('Hello Grace Hopper');
      const link = linkIn(mail!, '/invitations/accept');
      expect(link).toMatch(
        /^http:\/\/roster\.test\/invitations\/accept\?token=[0-9A-Z]{26}\.[A-Za-z0-9_-]{43}$/,
      );
      expect(mail!.html).toContain(link);
    });

    it('the link token is in the email only: the outbox row and the token row hold no secret', async () => {
      const email = uniqueEmail();
      const created = await post(member(email, 'email_link'));
      const [mail] = await roster.smtp.waitFor((m) => m.to.includes(email));
      const token = new URL(linkIn(mail!, '/invitations/accept')).searchParams.get('token')!;
      const [row] = await outboxRows(deps(), email);
      expect(row!.payload).not.toContain(token);
      const [tokenId, mac] = token.split('.');
      expect(row!.payload).not.toContain(mac);
      const stored = await deps()
        .db.kysely.selectFrom('user_tokens')
        .selectAll()
        .where('user_id', '=', decodeId('User', created.body.id)!)
        .execute();
      // The link names its token row, and nothing stored holds its HMAC, nor a hash of it.
      expect(stored.map((t) => t.id)).toContain(tokenId);
      const columns = JSON.stringify(stored);
      expect(columns).not.toContain(mac);
      expect(columns).not.toContain(sha256(token));
    });

    it('never carries a password: resending to a temporary-password user sends a link, not the password', async () => {
      const email = uniqueEmail();
      const created = await post(member(email, 'temporary_password'));
      const password = created.body.temporary_password as string;
      expect(password).toBeTruthy();
      await sleep(300);
      expect(roster.smtp.to(email)).toHaveLength(0);
      expect(
        (await roster.api(admin.key, 'POST', `/v2/users/${created.body.id}/resend-invitation`))
          .status,
      ).toBe(204);
      const [mail] = await roster.smtp.waitFor((m) => m.to.includes(email));
      expect(linkIn(mail!, '/invitations/accept')).toBeTruthy();
      expect(mail!.raw).not.toContain(password);
      expect(mail!.raw.toLowerCase()).not.toContain('temporary password');
    });

    it('the password-reset email has a 30-minute reset link and no password', async () => {
      const email = uniqueEmail();
      const created = await post(member(email, 'none'));
      const password = 'correct horse battery staple';
      await deps()
        .db.kysely.updateTable('users')
        .set({ password_hash: await hashPassword(password) })
        .where('id', '=', decodeId('User', created.body.id)!)
        .execute();
      const before = Date.now();
      const reset = await roster.api(
        admin.key,
        'POST',
        `/v2/users/${created.body.id}/reset-password`,
      );
      expect(reset.status).toBe(204);
      const [mail] = await roster.smtp.waitFor((m) => m.to.includes(email));
      expect(mail!.subject).toBe(`Reset your Account ${admin.email} password`);
      expect(mail!.from).toBe('people@acme.test');
      expect(linkIn(mail!, '/password/reset')).toMatch(
        /^http:\/\/roster\.test\/password\/reset\?token=[0-9A-Z]{26}\.[A-Za-z0-9_-]{43}$/,
      );
      expect(mail!.raw).not.toContain(password);
      const [token] = await deps()
        .db.kysely.selectFrom('user_tokens')
        .select(['expires_at'])
        .where('user_id', '=', decodeId('User', created.body.id)!)
        .where('purpose', '=', 'password_reset')
        .execute();
      const lifetime = Number(token!.expires_at) - before;
      expect(lifetime).toBeGreaterThan(29 * 60 * 1000);
      expect(lifetime).toBeLessThanOrEqual(30 * 60 * 1000 + 5000);
    });
  });

  describe('count', () => {
    it('one email per invitation: none for none or temporary_password, none for a replay, one more per resend', async () => {
      const linked = uniqueEmail();
      const sso = uniqueEmail();
      const temporary = uniqueEmail();
      const first = await post(member(linked, 'email_link'));
      await post(member(sso, 'none'));
      await post(member(temporary, 'temporary_password'));
      expect((await post(member(linked, 'email_link'))).status).toBe(200);
      await roster.smtp.waitFor((m) => m.to.includes(linked));
      await sleep(500);
      expect(roster.smtp.to(linked)).toHaveLength(1);
      expect(roster.smtp.to(sso)).toHaveLength(0);
      expect(roster.smtp.to(temporary)).toHaveLength(0);
      expect(await outboxRows(deps(), sso)).toHaveLength(0);
      expect(await outboxRows(deps(), temporary)).toHaveLength(0);

      await roster.api(admin.key, 'POST', `/v2/users/${first.body.id}/resend-invitation`);
      await roster.smtp.waitFor((m) => m.to.includes(linked), 2);
      await sleep(500);
      expect(roster.smtp.to(linked)).toHaveLength(2);
      const rows = await outboxRows(deps(), linked);
      expect(rows.map((row) => [row.status, row.attempts])).toEqual([
        ['sent', 1],
        ['sent', 1],
      ]);
    });

    it('a refused create queues nothing', async () => {
      const email = uniqueEmail();
      const bad = await post({ ...member(email, 'email_link'), role: { type: 'custom', id: 'x' } });
      expect(bad.status).toBe(400);
      await post(member(email, 'none'));
      expect((await post(member(email, 'email_link'))).status).toBe(409);
      expect(await outboxRows(deps(), email)).toHaveLength(0);
    });
  });

  describe('failures', () => {
    it('retries with growing backoff while SMTP answers 4xx, then delivers once on 250', async () => {
      const email = uniqueEmail('retry');
      const attempts: number[] = [];
      roster.smtp.onMessage = (session) => {
        if (recipientOf(session) !== email) return undefined;
        attempts.push(Date.now());
        return attempts.length <= 2 ? smtpRefusal(451, 'Mailbox busy, try later') : undefined;
      };
      try {
        await post(member(email, 'email_link'));
        await roster.smtp.waitFor((m) => m.to.includes(email));
      } finally {
        roster.smtp.onMessage = undefined;
      }
      expect(attempts).toHaveLength(3);
      expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(BACKOFF_BASE_MS);
      expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(2 * BACKOFF_BASE_MS);
      // The row is marked sent just after the SMTP server has the message.
      const row = await rowWith(deps(), email, (r) => r.status === 'sent', 'a sent row');
      expect(row).toMatchObject({ attempts: 3, last_error: null });
      expect(roster.smtp.to(email)).toHaveLength(1);
    });

    it('a permanent 5xx marks the email dead at once, with the reason, and it is not retried', async () => {
      const email = uniqueEmail('dead');
      let calls = 0;
      roster.smtp.onMessage = (session) => {
        if (recipientOf(session) !== email) return undefined;
        calls++;
        return smtpRefusal(550, 'No such user here');
      };
      try {
        await post(member(email, 'email_link'));
        const row = await rowWith(deps(), email, (r) => r.status === 'dead', 'a dead row');
        expect(row.attempts).toBe(1);
        expect(row.last_error).toContain('550');
        await sleep(4 * BACKOFF_BASE_MS);
        expect(calls).toBe(1);
      } finally {
        roster.smtp.onMessage = undefined;
      }
      expect(roster.smtp.to(email)).toHaveLength(0);
    });

    it('gives up after the last attempt when SMTP keeps answering 4xx', async () => {
      const email = uniqueEmail('busy');
      roster.smtp.onMessage = (session) =>
        recipientOf(session) === email ? smtpRefusal(452, 'Insufficient storage') : undefined;
      try {
        await post(member(email, 'email_link'));
        const row = await rowWith(deps(), email, (r) => r.status === 'dead', 'a dead row', 15_000);
        expect(row.attempts).toBe(4);
        expect(row.last_error).toContain('452');
      } finally {
        roster.smtp.onMessage = undefined;
      }
    });
  });

  describe('links that died while their email waited', () => {
    /** Refuses (451) email to `recipients` until the returned release() is called. */
    function holdMail(recipients: string[]): () => void {
      let held = true;
      roster.smtp.onMessage = (session) =>
        held && recipients.includes(recipientOf(session))
          ? smtpRefusal(451, 'Greylisted, try later')
          : undefined;
      return () => {
        held = false;
      };
    }
    const tried = (email: string) =>
      rowWith(deps(), email, (r) => r.status === 'pending' && r.attempts >= 1, 'a first attempt');

    it('an invitation to a user deleted meanwhile is not sent', async () => {
      const email = uniqueEmail('deleted');
      const release = holdMail([email]);
      try {
        const created = await post(member(email, 'email_link'));
        await tried(email);
        await roster.api(admin.key, 'DELETE', `/v2/users/${created.body.id}`);
        release();
        const row = await rowWith(deps(), email, (r) => r.status === 'dead', 'a dead row');
        expect(row.last_error).toContain('deleted');
      } finally {
        roster.smtp.onMessage = undefined;
      }
      await sleep(300);
      expect(roster.smtp.to(email)).toHaveLength(0);
    });

    it('after a resend only the newer link goes out, once', async () => {
      const email = uniqueEmail('resent');
      const release = holdMail([email]);
      let userId: string;
      try {
        const created = await post(member(email, 'email_link'));
        userId = decodeId('User', created.body.id)!;
        await tried(email);
        await roster.api(admin.key, 'POST', `/v2/users/${created.body.id}/resend-invitation`);
        release();
        await roster.smtp.waitFor((m) => m.to.includes(email));
      } finally {
        roster.smtp.onMessage = undefined;
      }
      const dropped = await rowWith(deps(), email, (r) => r.status === 'dead', 'a dead row');
      expect(dropped.last_error).toContain('replaced');
      await sleep(300);
      const [mail, ...more] = roster.smtp.to(email);
      expect(more).toHaveLength(0);
      const token = new URL(linkIn(mail!, '/invitations/accept')).searchParams.get('token')!;
      const live = await deps()
        .db.kysely.selectFrom('user_tokens')
        .select('id')
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .execute();
      expect(live.map((t) => t.id)).toEqual([token.split('.')[0]]);
    });

    it('in one batch, only the email whose link died is dropped; the others go out, each with its own account', async () => {
      const other = await roster.newAccount();
      const ours = [uniqueEmail('batch-a'), uniqueEmail('batch-b'), uniqueEmail('batch-c')];
      const theirs = uniqueEmail('batch-other');
      const release = holdMail([...ours, theirs]);
      try {
        const created = await Promise.all(ours.map((email) => post(member(email, 'email_link'))));
        await roster.api(other.key, 'POST', '/v2/users', member(theirs, 'email_link'));
        await Promise.all([...ours, theirs].map(tried));
        await roster.api(admin.key, 'DELETE', `/v2/users/${created[1]!.body.id}`);
        release();
        const dropped = await rowWith(deps(), ours[1]!, (r) => r.status === 'dead', 'a dead row');
        expect(dropped.last_error).toContain('deleted');
        for (const email of [ours[0]!, ours[2]!, theirs]) {
          await rowWith(deps(), email, (r) => r.status === 'sent', 'sent');
        }
      } finally {
        roster.smtp.onMessage = undefined;
      }
      const subjectOf = (email: string) => {
        const [mail, ...more] = roster.smtp.to(email);
        expect(more).toHaveLength(0);
        return /^Subject: (.*)\r?$/m.exec(mail!.raw)?.[1];
      };
      expect(subjectOf(ours[0]!)).toBe(`You're invited to Account ${admin.email}`);
      expect(subjectOf(ours[2]!)).toBe(`You're invited to Account ${admin.email}`);
      expect(subjectOf(theirs)).toBe(`You're invited to Account ${other.email}`);
      expect(roster.smtp.to(ours[1]!)).toHaveLength(0);
    });

    it('an invitation whose link expired while SMTP refused it is not sent', async () => {
      const email = uniqueEmail('late');
      const release = holdMail([email]);
      const eightDays = 8 * 24 * 3600 * 1000;
      try {
        await post(member(email, 'email_link'));
        await tried(email);
        roster.clock.advance(eightDays);
        release();
        const row = await rowWith(deps(), email, (r) => r.status === 'dead', 'a dead row');
        expect(row.last_error).toContain('expired');
      } finally {
        roster.smtp.onMessage = undefined;
        roster.clock.advance(-eightDays);
      }
      expect(roster.smtp.to(email)).toHaveLength(0);
    });
  });

  it('a batch larger than the twenty ids its queries take at once is read and marked in groups', async () => {
    const big = await startRoster(database, {
      env: { ROSTER_DATABASE_URL: own.url, ROSTER_MAIL_FROM: MAIL_FROM },
      worker: { batchSize: 45 },
    });
    try {
      const owner = await big.newAccount();
      const emails = Array.from({ length: 45 }, (_, i) => uniqueEmail(`group${i}`));
      const created = await Promise.all(
        emails.map((email) => big.api(owner.key, 'POST', '/v2/users', member(email, 'email_link'))),
      );
      expect(created.map((response) => response.status)).toEqual(emails.map(() => 201));
      await big.smtp.waitFor((m) => emails.some((email) => m.to.includes(email)), 45);
      await sleep(600);
      for (const email of emails) {
        const mails = big.smtp.to(email);
        expect(mails).toHaveLength(1);
        expect(mails[0]!.text).toContain('/invitations/accept?token=');
        const rows = await outboxRows(big.server.deps, email);
        expect(rows.map((r) => [r.status, r.attempts])).toEqual([['sent', 1]]);
      }
    } finally {
      await big.close();
    }
  });

  describe('promptness', () => {
    it('hands the email over within 2 s of the create, without waiting for a poll', async () => {
      const slow = await ownDatabase(database);
      const lazy = await startRoster(database, {
        env: { ROSTER_DATABASE_URL: slow.url },
        worker: { pollMs: 600_000 },
      });
      try {
        const owner = await lazy.newAccount();
        for (const mode of ['email_link', 'resend', 'reset']) {
          const email = uniqueEmail(mode);
          const created = await lazy.api(owner.key, 'POST', '/v2/users', {
            ...member(email, mode === 'reset' ? 'none' : 'email_link'),
          });
          let started = Date.now();
          if (mode === 'resend') {
            await lazy.smtp.waitFor((m) => m.to.includes(email));
            started = Date.now();
            await lazy.api(owner.key, 'POST', `/v2/users/${created.body.id}/resend-invitation`);
          }
          if (mode === 'reset') {
            await lazy.server.deps.db.kysely
              .updateTable('users')
              .set({ password_hash: await hashPassword('correct horse battery staple') })
              .where('id', '=', decodeId('User', created.body.id)!)
              .execute();
            started = Date.now();
            await lazy.api(owner.key, 'POST', `/v2/users/${created.body.id}/reset-password`);
          }
          const count = mode === 'resend' ? 2 : 1;
          await lazy.smtp.waitFor((m) => m.to.includes(email), count, 2000);
          expect(Date.now() - started, mode).toBeLessThan(2000);
        }
      } finally {
        await lazy.close();
        await slow.drop();
      }
    });
  });
});

describeEachDatabase('outbox across outages and restarts', (database: DatabaseName) => {
  let own: OwnDatabase;

  beforeAll(async () => {
    own = await ownDatabase(database);
  });
  afterAll(() => own.drop());

  /** A server on this suite's database, sending to `smtp`. */
  const startOnOwn = (smtp: TestSmtp, worker?: Partial<WorkerOptions>) =>
    startRoster(database, { env: { ROSTER_DATABASE_URL: own.url }, smtp, worker });

  it('an email queued while SMTP is down is delivered once SMTP comes back', async () => {
    const port = await freePort();
    const roster = await startRoster(database, {
      env: { ROSTER_DATABASE_URL: own.url, ROSTER_SMTP_URL: `smtp://127.0.0.1:${port}` },
      worker: { maxAttempts: 1000 },
    });
    const smtp = { later: undefined as Awaited<ReturnType<typeof startSmtp>> | undefined };
    try {
      const admin = await roster.newAccount();
      const email = uniqueEmail('outage');
      const created = await roster.api(admin.key, 'POST', '/v2/users', member(email, 'email_link'));
      expect(created.status).toBe(201);
      const failed = await rowWith(
        roster.server.deps,
        email,
        (row) => row.status === 'pending' && row.attempts >= 1 && row.last_error !== null,
        'a failed attempt',
      );
      expect(failed.last_error).toMatch(/ECONNREFUSED|connect/i);

      smtp.later = await startSmtp(port);
      const [mail] = await smtp.later.waitFor((m) => m.to.includes(email));
      expect(linkIn(mail!, '/invitations/accept')).toBeTruthy();
      const sent = await rowWith(roster.server.deps, email, (r) => r.status === 'sent', 'sent');
      expect(sent.last_error).toBeNull();
      await sleep(500);
      expect(smtp.later.to(email)).toHaveLength(1);
    } finally {
      await roster.close();
      await smtp.later?.close();
    }
  });

  /**
   * Queues an invitation through the use case, as `outbox` says: through a one-shot command's
   * deps (no worker, so no lease), or leased to a worker that then never sends it, as if the
   * process died right after the commit.
   */
  async function queue(server: TestRoster, email: string, outbox: Deps['outbox']): Promise<Caller> {
    const admin = await server.newAccount();
    const actor = {
      accountId: admin.accountId,
      userId: decodeId('User', admin.userId)!,
      role: 'admin' as const,
    };
    await createUser({ ...server.server.deps, outbox }, actor, {
      name: 'Grace Hopper',
      email,
      role: { type: 'predefined', name: 'member' },
      inviteMode: 'email_link',
    });
    return admin;
  }

  it('an email a one-shot command queued is sent by a server at its next poll', async () => {
    const smtp = await startSmtp();
    const email = uniqueEmail('command');
    const roster = await startOnOwn(smtp, { pollMs: 300 });
    try {
      const admin = await queue(roster, email, undefined);
      const [mail] = await smtp.waitFor((m) => m.to.includes(email));
      expect(mail!.subject).toBe(`You're invited to Account ${admin.email}`);
      await expectSentOnce(smtp, roster.server.deps, email, 1);
    } finally {
      await roster.close();
      await smtp.close();
    }
  });

  it('an email committed just before a crash is sent once, by the next server, when its lease runs out', async () => {
    const smtp = await startSmtp();
    const email = uniqueEmail('crash');
    const leaseMs = 800;
    const first = await startOnOwn(smtp, { pollMs: 600_000 });
    let admin: Caller;
    try {
      admin = await queue(first, email, {
        leaseUntil: (now) => now + leaseMs,
        committed: () => {},
      });
      const rows = await outboxRows(first.server.deps, email);
      expect(rows.map((r) => [r.status, r.attempts])).toEqual([['processing', 1]]);
    } finally {
      await first.close();
    }

    const started = Date.now();
    const second = await startOnOwn(smtp);
    try {
      const [mail] = await smtp.waitFor((m) => m.to.includes(email));
      expect(Date.now() - started).toBeGreaterThanOrEqual(leaseMs - 300);
      expect(mail!.subject).toBe(`You're invited to Account ${admin.email}`);
      expect(linkIn(mail!, '/invitations/accept')).toBeTruthy();
      await expectSentOnce(smtp, second.server.deps, email, 2);
    } finally {
      await second.close();
      await smtp.close();
    }
  });

  it('a burst beyond what the worker holds waits in the outbox; a stopping server hands back what it holds', async () => {
    // An SMTP server that accepts connections and never speaks: the first send hangs.
    const silent = new Set<net.Socket>();
    const mute = net.createServer((socket) => silent.add(socket));
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    const port = (mute.address() as net.AddressInfo).port;
    const emails = Array.from({ length: 15 }, (_, i) => uniqueEmail(`burst${i}`));
    const rowsOf = async (deps: Pick<Deps, 'db'>) =>
      (await Promise.all(emails.map((email) => outboxRows(deps, email)))).map((rows) => rows[0]!);

    const first = await startRoster(database, {
      env: { ROSTER_DATABASE_URL: own.url, ROSTER_SMTP_URL: `smtp://127.0.0.1:${port}` },
      // Holds at most 10 leased rows waiting (10 per row of a batch).
      worker: { batchSize: 1, pollMs: 600_000 },
    });
    try {
      const admin = await first.newAccount();
      for (const email of emails) {
        const created = await first.api(
          admin.key,
          'POST',
          '/v2/users',
          member(email, 'email_link'),
        );
        expect(created.status).toBe(201);
      }
      // Two sends hang (a second pass starts when a full batch waits), ten rows wait.
      await eventually(async () => (silent.size === 2 ? true : undefined), 'two sends');
      const held = await rowsOf(first.server.deps);
      expect(held.map((row) => [row.status, row.attempts])).toEqual([
        ...Array.from({ length: 12 }, () => ['processing', 1]),
        ...Array.from({ length: 3 }, () => ['pending', 0]),
      ]);
    } finally {
      for (const socket of silent) socket.destroy();
      await first.close();
      mute.close();
    }

    const db = connect(loadConfig({ ROSTER_DATABASE_URL: own.url }).database);
    try {
      // The two sends that failed are due again after their backoff; the ten held rows went
      // back unsent and due at once, like the three that were never leased.
      const rows = await rowsOf({ db });
      expect(rows.map((row) => [row.status, row.attempts, row.lease_until])).toEqual([
        ['pending', 1, null],
        ['pending', 1, null],
        ...Array.from({ length: 13 }, () => ['pending', 0, null]),
      ]);
    } finally {
      await db.close();
    }

    const smtp = await startSmtp();
    const second = await startOnOwn(smtp);
    try {
      for (const email of emails) await smtp.waitFor((m) => m.to.includes(email));
      await sleep(300);
      for (const email of emails) expect(smtp.to(email)).toHaveLength(1);
    } finally {
      await second.close();
      await smtp.close();
    }
  });

  it('an email a dead process was sending is sent again, once, when its lease runs out', async () => {
    const smtp = await startSmtp();
    const email = uniqueEmail('lease');
    const first = await startOnOwn(smtp, { pollMs: 600_000 });
    const leaseMs = 800;
    try {
      await queue(first, email, undefined);
      // Claimed by a process that then died mid-send: its lease runs out in leaseMs.
      await first.server.deps.db.kysely
        .updateTable('outbox')
        .set({ status: 'processing', attempts: 1, lease_until: Date.now() + leaseMs })
        .where('recipient', '=', email)
        .execute();
    } finally {
      await first.close();
    }

    const started = Date.now();
    const second = await startOnOwn(smtp);
    try {
      await smtp.waitFor((m) => m.to.includes(email));
      expect(Date.now() - started).toBeGreaterThanOrEqual(leaseMs - 200);
      await expectSentOnce(smtp, second.server.deps, email, 2);
    } finally {
      await second.close();
      await smtp.close();
    }
  });
});

describeEachDatabase('outbox without SMTP', (database) => {
  it("appends each email to the day's mailbox file under <data>/mail", async () => {
    const own = await ownDatabase(database);
    const roster = await startRoster(database, {
      env: { ROSTER_DATABASE_URL: own.url, ROSTER_SMTP_URL: '', ROSTER_MAIL_FROM: MAIL_FROM },
    });
    try {
      const admin = await roster.newAccount();
      const email = uniqueEmail('file');
      await roster.api(admin.key, 'POST', '/v2/users', member(email, 'email_link'));
      const sent = await rowWith(roster.server.deps, email, (r) => r.status === 'sent', 'sent');
      const mail = path.join(roster.dataDir, 'mail');
      expect(fs.readdirSync(mail)).toEqual([expect.stringMatching(/^\d{4}-\d{2}-\d{2}\.mbox$/)]);
      const [eml, ...others] = mboxFiles(mail).flatMap(readMbox);
      expect(others).toEqual([]);
      expect(eml).toContain(`Message-ID: <${sent.id}@roster>`);
      expect(eml).toMatch(new RegExp(`^To: ${email.replace(/[.+]/g, '\\$&')}$`, 'm'));
      expect(eml).toMatch(/^From: Acme People <people@acme\.test>$/m);
      expect(eml).toMatch(/^Subject: You're invited to /m);
      expect(eml).toContain('http://roster.test/invitations/accept?token=');
      expect(roster.smtp.received).toHaveLength(0);
    } finally {
      await roster.close();
      await own.drop();
    }
  });
});
