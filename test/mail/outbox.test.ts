/**
 * Email through the transactional outbox, end to end: what the email says, how many go out,
 * retries with backoff, giving up, SMTP outages, restarts, the .eml-file default, and promptness.
 * Each suite has a database of its own, so no other test file's worker takes its email.
 */
import fs from 'node:fs';
import { cliOrigin } from '../../src/audit/origin.js';
import net from 'node:net';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/passwords.js';
import { sha256 } from '../../src/auth/secrets.js';
import { decodeId } from '../../src/http/global-id.js';
import { createUser, deleteUser, resendInvitation } from '../../src/users/service.js';
import type { OutboxTable } from '../../src/db/tables.js';
import type { Deps } from '../../src/deps.js';
import {
  describeEachDatabase,
  startRoster,
  useRoster,
  uniqueEmail,
  type Caller,
  type DatabaseName,
  type TestRoster,
} from '../support/roster.js';
import { ownDatabase, type OwnDatabase } from '../support/own-database.js';
import { outboxRow, outboxRows, settledRows } from '../support/outbox.js';
import { eventually } from '../support/wait.js';
import { emlFiles, readEml } from '../support/eml.js';
import { linkIn, startSmtp, type TestSmtp } from '../support/smtp.js';
import { startOutboxWorker, type WorkerOptions } from '../../src/mail/worker.js';
import type { OutgoingEmail, Transport } from '../../src/mail/transport.js';

const MAIL_FROM = 'Acme People <people@acme.test>';
const BACKOFF_BASE_MS = 200;

function member(email: string, mode: string) {
  return {
    name: 'Grace Hopper',
    email,
    role: { type: 'predefined', name: 'member' },
    invite_mode: mode,
  };
}

/** Once the email to `recipient` has gone out: it went once, and its row is sent after `attempts`. */
async function expectSentOnce(
  smtp: TestSmtp,
  deps: Pick<Deps, 'db'>,
  recipient: string,
  attempts: number,
): Promise<void> {
  const rows = await settledRows(deps, recipient);
  expect(rows.map((r) => [r.status, r.attempts])).toEqual([['sent', attempts]]);
  expect(smtp.to(recipient)).toHaveLength(1);
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
  const roster = useRoster(database, {
    env: { ROSTER_MAIL_FROM: MAIL_FROM },
    worker: { backoffBaseMs: BACKOFF_BASE_MS, backoffMaxMs: 1000, maxAttempts: 4 },
  });
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
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
      // The create queued nothing, so nothing can be sent for it.
      expect(await outboxRows(deps(), email)).toEqual([]);
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
      await settledRows(deps(), linked);
      expect(roster.smtp.to(linked)).toHaveLength(1);
      expect(roster.smtp.to(sso)).toHaveLength(0);
      expect(roster.smtp.to(temporary)).toHaveLength(0);
      expect(await outboxRows(deps(), sso)).toHaveLength(0);
      expect(await outboxRows(deps(), temporary)).toHaveLength(0);

      await roster.api(admin.key, 'POST', `/v2/users/${first.body.id}/resend-invitation`);
      await roster.smtp.waitFor((m) => m.to.includes(linked), 2);
      const rows = await settledRows(deps(), linked);
      expect(roster.smtp.to(linked)).toHaveLength(2);
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
      const row = await outboxRow(deps(), email, (r) => r.status === 'sent', 'a sent row');
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
        const row = await outboxRow(deps(), email, (r) => r.status === 'dead', 'a dead row');
        expect(row.attempts).toBe(1);
        expect(row.last_error).toContain('550');
        // A dead row is never claimed again.
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
        const row = await outboxRow(
          deps(),
          email,
          (r) => r.status === 'dead',
          'a dead row',
          15_000,
        );
        expect(row.attempts).toBe(4);
        expect(row.last_error).toContain('452');
      } finally {
        roster.smtp.onMessage = undefined;
      }
    });
  });

  describe('links that died while their email waited', () => {
    // The emails wait in the outbox: this server's worker runs only when a test wakes it, and
    // the use cases here run without waking it. A wake then claims every due row in one batch.
    const lazy = useRoster(database, { worker: { pollMs: 600_000 } });
    let owner: Caller;

    beforeAll(async () => {
      owner = await lazy.newAccount();
    });

    const quiet = () => {
      const deps = lazy.server.deps;
      return { ...deps, db: { ...deps.db, outbox: undefined } };
    };
    const actorOf = (admin: Caller) => ({
      accountId: admin.accountId,
      userId: decodeId('User', admin.userId)!,
      role: 'admin' as const,
      origin: cliOrigin('test'),
    });

    /** Invites `email` to the admin's account, its email left waiting; the user's id. */
    async function invite(admin: Caller, email: string): Promise<string> {
      const { user } = await createUser(quiet(), actorOf(admin), {
        name: 'Grace Hopper',
        email,
        role: { type: 'predefined', name: 'member' },
        inviteMode: 'email_link',
      });
      return user.id;
    }

    /** Wakes the worker; each recipient's rows once every one is sent or dead. */
    function deliver(recipients: string[]): Promise<OutboxTable[][]> {
      lazy.server.deps.db.outbox!.wake();
      return Promise.all(recipients.map((email) => settledRows(lazy.server.deps, email)));
    }

    it('an invitation to a user deleted meanwhile is not sent', async () => {
      const email = uniqueEmail('deleted');
      await deleteUser(quiet(), actorOf(owner), await invite(owner, email));
      const [rows] = await deliver([email]);
      expect(rows!.map((r) => [r.status, r.attempts])).toEqual([['dead', 1]]);
      expect(rows![0]!.last_error).toContain('deleted');
      expect(lazy.smtp.to(email)).toHaveLength(0);
    });

    it('after a resend only the newer link goes out, once', async () => {
      const email = uniqueEmail('resent');
      const userId = await invite(owner, email);
      await resendInvitation(quiet(), actorOf(owner), userId);
      const [rows] = await deliver([email]);
      expect(rows!.map((r) => r.status)).toEqual(['dead', 'sent']);
      expect(rows![0]!.last_error).toContain('replaced');
      const [mail, ...more] = lazy.smtp.to(email);
      expect(more).toHaveLength(0);
      const token = new URL(linkIn(mail!, '/invitations/accept')).searchParams.get('token')!;
      const live = await lazy.server.deps.db.kysely
        .selectFrom('user_tokens')
        .select('id')
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .execute();
      expect(live.map((t) => t.id)).toEqual([token.split('.')[0]]);
    });

    it('in one batch, only the email whose link died is dropped; the others go out, each with its own account', async () => {
      const other = await lazy.newAccount();
      const ours = [uniqueEmail('batch-a'), uniqueEmail('batch-b'), uniqueEmail('batch-c')];
      const theirs = uniqueEmail('batch-other');
      const ids: string[] = [];
      for (const email of ours) ids.push(await invite(owner, email));
      await invite(other, theirs);
      await deleteUser(quiet(), actorOf(owner), ids[1]!);
      const rows = await deliver([...ours, theirs]);
      expect(rows.map((r) => r.map((row) => row.status))).toEqual([
        ['sent'],
        ['dead'],
        ['sent'],
        ['sent'],
      ]);
      expect(rows[1]![0]!.last_error).toContain('deleted');
      const subjectOf = (email: string) => {
        const [mail, ...more] = lazy.smtp.to(email);
        expect(more).toHaveLength(0);
        return mail!.subject;
      };
      expect(subjectOf(ours[0]!)).toBe(`You're invited to Account ${owner.email}`);
      expect(subjectOf(ours[2]!)).toBe(`You're invited to Account ${owner.email}`);
      expect(subjectOf(theirs)).toBe(`You're invited to Account ${other.email}`);
      expect(lazy.smtp.to(ours[1]!)).toHaveLength(0);
    });

    it('an invitation whose link expired while it waited is not sent', async () => {
      const email = uniqueEmail('late');
      await invite(owner, email);
      const eightDays = 8 * 24 * 3600 * 1000;
      lazy.clock.advance(eightDays);
      try {
        const [rows] = await deliver([email]);
        expect(rows!.map((r) => r.status)).toEqual(['dead']);
        expect(rows![0]!.last_error).toContain('expired');
      } finally {
        lazy.clock.advance(-eightDays);
      }
      expect(lazy.smtp.to(email)).toHaveLength(0);
    });
  });

  it('45 invitations at once: each email goes out once, in batches as large', async () => {
    // A database of its own: no other server's worker takes its rows.
    const big = await startRoster(database, {
      env: { ROSTER_MAIL_FROM: MAIL_FROM },
      worker: { batchSize: 45 },
    });
    try {
      const owner = await big.newAccount();
      const emails = Array.from({ length: 45 }, (_, i) => uniqueEmail(`group${i}`));
      const created = await Promise.all(
        emails.map((email) => big.api(owner.key, 'POST', '/v2/users', member(email, 'email_link'))),
      );
      expect(created.map((response) => response.status)).toEqual(emails.map(() => 201));
      for (const email of emails) {
        const rows = await settledRows(big.server.deps, email);
        expect(rows.map((r) => [r.status, r.attempts])).toEqual([['sent', 1]]);
        const mails = big.smtp.to(email);
        expect(mails).toHaveLength(1);
        expect(mails[0]!.text).toContain('/invitations/accept?token=');
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
      const failed = await outboxRow(
        roster.server.deps,
        email,
        (row) => row.status === 'pending' && row.attempts >= 1 && row.last_error !== null,
        'a failed attempt',
      );
      expect(failed.last_error).toMatch(/ECONNREFUSED|connect/i);

      smtp.later = await startSmtp(port);
      const [mail] = await smtp.later.waitFor((m) => m.to.includes(email));
      expect(linkIn(mail!, '/invitations/accept')).toBeTruthy();
      const sent = await outboxRow(roster.server.deps, email, (r) => r.status === 'sent', 'sent');
      expect(sent.last_error).toBeNull();
      expect(smtp.later.to(email)).toHaveLength(1);
    } finally {
      await roster.close();
      await smtp.later?.close();
    }
  });

  /**
   * Queues an invitation through the use case as a one-shot command does, or a server that
   * died right after the commit: no worker is woken, so the row waits for a poll or a start.
   */
  async function queue(server: TestRoster, email: string): Promise<Caller> {
    const admin = await server.newAccount();
    const actor = {
      accountId: admin.accountId,
      userId: decodeId('User', admin.userId)!,
      role: 'admin' as const,
      origin: cliOrigin('test'),
    };
    const deps = server.server.deps;
    await createUser({ ...deps, db: { ...deps.db, outbox: undefined } }, actor, {
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
      const admin = await queue(roster, email);
      const [mail] = await smtp.waitFor((m) => m.to.includes(email));
      expect(mail!.subject).toBe(`You're invited to Account ${admin.email}`);
      await expectSentOnce(smtp, roster.server.deps, email, 1);
    } finally {
      await roster.close();
      await smtp.close();
    }
  });

  it('an email committed just before a crash is sent once, by the next server as it starts', async () => {
    const smtp = await startSmtp();
    const email = uniqueEmail('crash');
    const first = await startOnOwn(smtp, { pollMs: 600_000 });
    let admin: Caller;
    try {
      admin = await queue(first, email);
      const rows = await outboxRows(first.server.deps, email);
      expect(rows.map((r) => [r.status, r.attempts, r.lease_until])).toEqual([
        ['pending', 0, null],
      ]);
    } finally {
      await first.close();
    }

    const second = await startOnOwn(smtp, { pollMs: 600_000 });
    try {
      const [mail] = await smtp.waitFor((m) => m.to.includes(email));
      expect(mail!.subject).toBe(`You're invited to Account ${admin.email}`);
      expect(linkIn(mail!, '/invitations/accept')).toBeTruthy();
      await expectSentOnce(smtp, second.server.deps, email, 1);
    } finally {
      await second.close();
      await smtp.close();
    }
  });

  /** A transport that records what it is given, and holds each send until `gate` resolves. */
  function heldTransport(gate: Promise<void> = Promise.resolve()) {
    const given: OutgoingEmail[] = [];
    const transport: Transport = {
      async send(email) {
        given.push(email);
        await gate;
      },
      close: () => {},
    };
    return { transport, given };
  }

  it('a stopping worker finishes the sends under way before it stops', async () => {
    const smtp = await startSmtp();
    const email = uniqueEmail('finish');
    const roster = await startOnOwn(smtp, { pollMs: 600_000 });
    try {
      await queue(roster, email);
      let release!: () => void;
      const { transport, given } = heldTransport(new Promise((resolve) => (release = resolve)));
      const { deps, app } = roster.server;
      const worker = startOutboxWorker(deps, transport, app.log, { pollMs: 600_000 });
      await eventually(async () => (given.length === 1 ? true : undefined), 'a send under way');
      const stopped = worker.stop();
      release();
      await stopped;
      const rows = await outboxRows(deps, email);
      expect(rows.map((r) => [r.status, r.attempts, r.lease_until])).toEqual([['sent', 1, null]]);
    } finally {
      await roster.close();
      await smtp.close();
    }
  });

  it('a worker stopped while it claims hands the rows back unsent, due at once, their attempt not counted', async () => {
    const smtp = await startSmtp();
    const fresh = [uniqueEmail('back0'), uniqueEmail('back1')];
    const orphan = uniqueEmail('orphan');
    const roster = await startOnOwn(smtp, { pollMs: 600_000 });
    const { deps, app } = roster.server;
    try {
      for (const email of [...fresh, orphan]) await queue(roster, email);
      // One row a dead process had claimed: only a claim makes it pending again.
      await deps.db.kysely
        .updateTable('outbox')
        .set({ status: 'processing', attempts: 1, lease_until: deps.clock() - 1 })
        .where('recipient', '=', orphan)
        .execute();
      // The worker claims due rows as it starts; stopped at once, it sends none of them.
      const { transport, given } = heldTransport();
      const worker = startOutboxWorker(deps, transport, app.log, { pollMs: 600_000 });
      await worker.stop();
      expect(given).toEqual([]);
      const now = deps.clock();
      for (const [email, attempts] of [
        ...fresh.map((e) => [e, 0] as const),
        [orphan, 1] as const,
      ]) {
        const rows = await outboxRows(deps, email);
        expect(rows.map((r) => [r.status, r.attempts, r.lease_until])).toEqual([
          ['pending', attempts, null],
        ]);
        expect(rows[0]!.next_attempt_at).toBeLessThanOrEqual(now);
      }

      // The server's own worker sends each of them, once.
      deps.db.outbox!.wake();
      for (const email of fresh) await expectSentOnce(smtp, deps, email, 1);
      await expectSentOnce(smtp, deps, orphan, 2);
    } finally {
      await roster.close();
      await smtp.close();
    }
  });

  it('an email a dead process was sending is sent again, once, when its lease runs out', async () => {
    const smtp = await startSmtp();
    const email = uniqueEmail('lease');
    const first = await startOnOwn(smtp, { pollMs: 600_000 });
    const leaseMs = 800;
    try {
      await queue(first, email);
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
  it('writes each email to an .eml file of its own under <data>/mail, its link whole', async () => {
    const own = await ownDatabase(database);
    const roster = await startRoster(database, {
      env: { ROSTER_DATABASE_URL: own.url, ROSTER_SMTP_URL: '', ROSTER_MAIL_FROM: MAIL_FROM },
    });
    try {
      const admin = await roster.newAccount();
      const email = uniqueEmail('file');
      await roster.api(admin.key, 'POST', '/v2/users', member(email, 'email_link'));
      const sent = await outboxRow(roster.server.deps, email, (r) => r.status === 'sent', 'sent');
      const mail = path.join(roster.dataDir, 'mail');
      expect(fs.readdirSync(mail)).toEqual([
        expect.stringMatching(
          new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}\\.\\d{3}Z_${email}\\.eml$`),
        ),
      ]);
      const [eml, ...others] = emlFiles(mail).map(readEml);
      expect(others).toEqual([]);
      expect(eml).toContain(`Message-ID: <${sent.id}@roster>\r\n`);
      expect(eml).toContain(`\r\nTo: ${email}\r\n`);
      expect(eml).toMatch(/^From: Acme People <people@acme\.test>\r\n/);
      expect(eml).toMatch(/\r\nSubject: You're invited to /);
      const parsed = await simpleParser(eml!);
      const link = /http:\/\/roster\.test\/invitations\/accept\?token=\S+/.exec(
        parsed.text ?? '',
      )?.[0];
      expect(link).toBeDefined();
      expect(parsed.html).toContain(`href="${link}"`);
      expect(eml!.split('\r\n')).toContain(link);
      expect(JSON.stringify(await outboxRows(roster.server.deps, email))).not.toContain(
        new URL(link!).searchParams.get('token')!,
      );
      expect(roster.smtp.received).toHaveLength(0);
    } finally {
      await roster.close();
      await own.drop();
    }
  });
});
