/**
 * What an operator scrapes and probes: /metrics in Prometheus's text format, /readyz only
 * while the database answers and its schema is current, /healthz while the process runs.
 */
import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { describeEachDatabase, uniqueEmail, type Caller, useRoster } from '../support/roster.js';
import { until } from '../support/wait.js';

/** The value of one sample line, e.g. `roster_outbox_emails{status="dead"}`. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describeEachDatabase('operating Roster', (database) => {
  const roster = useRoster(database);
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });

  const metrics = async () => {
    const response = await fetch(`${roster.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return response.text();
  };

  it('/metrics counts requests by route and status, emails sent, and the process', async () => {
    expect((await roster.api(admin.key, 'GET', '/v2/users')).status).toBe(200);
    expect((await roster.api(admin.key, 'GET', '/v2/users/nope')).status).toBe(404);
    const email = uniqueEmail();
    const created = await roster.api(admin.key, 'POST', '/v2/users', {
      name: 'Mia',
      email,
      role: { type: 'predefined', name: 'member' },
      invite_mode: 'email_link',
    });
    expect(created.status).toBe(201);
    await roster.smtp.waitFor((message) => message.to.includes(email));

    const text = await metrics();
    const count = (route: string, status: number, method = 'GET') =>
      sample(
        text,
        `roster_http_request_duration_seconds_count{method="${method}",route="${route}",status="${status}"}`,
      );
    expect(count('/v2/users', 200)).toBeGreaterThanOrEqual(1);
    expect(count('/v2/users/:user_id', 404)).toBeGreaterThanOrEqual(1);
    expect(count('/v2/users', 201, 'POST')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'roster_emails_total{outcome="sent"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'roster_outbox_emails{status="dead"}')).toBe(0);
    // The create's audit entry, chained by the server's sealer soon after it committed.
    await until(
      async () => sample(await metrics(), 'roster_audit_unchained_entries') === 0,
      'no audit entry left unchained',
    );
    expect(sample(text, 'roster_process_resident_memory_bytes')).toBeGreaterThan(0);
    if (database === 'postgres') {
      expect(sample(text, 'roster_db_pool_connections{state="idle"}')).toBeGreaterThanOrEqual(0);
    }
  });

  it('/readyz is 200 while the schema is current and 503 while a migration is pending', async () => {
    const ready = await fetch(`${roster.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });

    const db = roster.server.deps.db.kysely;
    const last = await db
      .selectFrom('kysely_migration' as never)
      .select(sql<string>`name`.as('name'))
      .orderBy(sql`name`, 'desc')
      .executeTakeFirstOrThrow();
    await sql`delete from kysely_migration where name = ${last.name}`.execute(db);
    try {
      const pending = await fetch(`${roster.url}/readyz`);
      expect(pending.status).toBe(503);
      expect(await pending.json()).toEqual({ status: 'migrations pending', pending: [last.name] });
      expect((await fetch(`${roster.url}/healthz`)).status).toBe(200);
    } finally {
      await sql`insert into kysely_migration (name, timestamp) values (${last.name}, ${new Date().toISOString()})`.execute(
        db,
      );
    }
    expect((await fetch(`${roster.url}/readyz`)).status).toBe(200);
  });
});
