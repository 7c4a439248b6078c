/**
 * The console and the invitation email: the confirmation of an email_link invite shows the
 * email's delivery (waiting, sent, or given up with its error) and how to see it change without
 * a script; a dead email retried from the Account page is really sent again.
 */
import { beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, useRoster, uniqueEmail, type Caller } from '../support/roster.js';
import { outboxRow } from '../support/outbox.js';
import { activePerson } from '../self-service/people.js';
import { linkPath, newVisitor, type Visitor } from '../self-service/visitor.js';

function refusal(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

describeEachDatabase('the console and invitation email', (database) => {
  const roster = useRoster(database);
  let owner: Caller;
  let admin: Visitor;

  beforeAll(async () => {
    owner = await roster.newAccount();
    admin = (await activePerson(roster, owner, 'admin')).browser;
  });

  /** Invites `email` from the console by email link; the new person's internal id. */
  async function inviteByLink(email: string): Promise<{ id: string; body: string }> {
    await admin.get('/admin/invite');
    const made = await admin.post('/admin/invite', {
      name: 'Mail Person',
      email,
      role: 'predefined:member',
      invite_mode: 'email_link',
    });
    expect(made.status).toBe(201);
    const id = /href="\/admin\/users\/([^/"]+)\/email"/.exec(made.body)?.[1];
    expect(id).toBeDefined();
    return { id: id!, body: made.body };
  }

  it('the confirmation shows the email’s delivery, which a refresh shows sent', async () => {
    const email = uniqueEmail('delivered');
    const { id, body } = await inviteByLink(email);
    expect(body).toContain('Refresh the delivery state');
    expect(body).toContain(`data-poll="/admin/users/${id}/email?part=state"`);
    expect(body).toMatch(/data-state="(pending|processing|sent)"/);

    await outboxRow(roster.server.deps, email, (row) => row.status === 'sent', 'sent');
    const page = await admin.get(`/admin/users/${id}/email`);
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('data-state="sent"');
    expect(page.body).toContain('Refresh the delivery state');
    const state = await admin.get(`/admin/users/${id}/email?part=state`);
    expect(state.status).toBe(200);
    expect(state.body).toContain('data-state="sent"');
    expect(state.body).not.toContain('<html');
  });

  it('an email the server refuses shows as given up with its error; retried, it is sent', async () => {
    const email = uniqueEmail('refused');
    roster.smtp.onMessage = (session) =>
      session.envelope.rcptTo.some((r) => r.address.toLowerCase() === email)
        ? refusal(550, 'Mailbox unavailable')
        : undefined;
    try {
      const { id } = await inviteByLink(email);
      const dead = await outboxRow(roster.server.deps, email, (r) => r.status === 'dead', 'dead');
      const page = await admin.get(`/admin/users/${id}/email`);
      expect(page.body).toContain('data-state="dead"');
      expect(page.body).toContain('Not sent: gave up');
      expect(page.body).toContain('Mailbox unavailable');
      expect(roster.smtp.to(email)).toHaveLength(0);

      roster.smtp.onMessage = undefined;
      const account = await admin.get('/admin/account');
      expect(account.body).toContain(email);
      const retried = await admin.post('/admin/account/email/retry', { id: dead.id });
      expect(retried.status).toBe(303);
      expect(retried.headers.location).toBe('/admin/account?notice=retried');

      const [arrived] = await roster.smtp.waitFor((m) => m.to.includes(email));
      const link = linkPath(arrived!, '/invitations/accept');
      expect((await newVisitor(roster.url).get(link)).status).toBe(200);
      await outboxRow(
        roster.server.deps,
        email,
        (r) => r.id === dead.id && r.status === 'sent',
        'sent',
      );
      expect((await admin.get(`/admin/users/${id}/email`)).body).toContain('data-state="sent"');
      expect((await admin.get('/admin/account')).body).not.toContain(email);
    } finally {
      roster.smtp.onMessage = undefined;
    }
  });
});
