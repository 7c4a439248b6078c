/**
 * The audit chain with two servers on one database: changes made at once through both are
 * chained, by the processes' sealers, into one chain with no fork and no entry left out.
 */
import { expect, it } from 'vitest';
import { countUnsealed } from '../../src/audit/store.js';
import { verifyAuditLog } from '../../src/audit/service.js';
import { describeEachDatabase, uniqueEmail } from '../support/roster.js';
import { useTwoProcesses } from '../support/processes.js';
import { until } from '../support/wait.js';

describeEachDatabase('the audit chain across two processes', (database) => {
  const { first, second, admin } = useTwoProcesses(database);

  it('changes made at once through both processes form one chain', async () => {
    const body = (i: number) => ({
      name: `Both ${i}`,
      email: uniqueEmail('both'),
      role: { type: 'predefined', name: 'member' },
      invite_mode: 'none',
    });
    const atFirst = async (i: number) =>
      (await first.api(admin.key, 'POST', '/v2/users', body(i))).status;
    const atSecond = async (i: number) =>
      (
        await fetch(`${second.url}/v2/users`, {
          method: 'POST',
          headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' },
          body: JSON.stringify(body(i)),
        })
      ).status;
    const statuses = await Promise.all(
      Array.from({ length: 15 }, (_, i) => [atFirst(i), atSecond(i + 100)]).flat(),
    );
    expect(statuses).toEqual(Array(30).fill(201));

    // The servers' sealers chain every entry by themselves (verification would, too).
    const db = first.server.deps.db;
    await until(async () => (await countUnsealed(db.kysely)) === 0, 'every entry chained');
    const written = await db.kysely
      .selectFrom('audit_entries')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('account_id', '=', admin.accountId)
      .executeTakeFirstOrThrow();
    const [report] = await verifyAuditLog(db, admin.accountId);
    expect(report!.findings).toEqual([]);
    expect(report!.entries).toBe(Number(written.n));
    expect(report!.entries).toBeGreaterThanOrEqual(31);
  });
});
