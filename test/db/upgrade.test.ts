/**
 * Upgrading a database that holds data: 0010 makes audit_entries and user_counts anew on
 * SQLite (and alters them on PostgreSQL). What was chained still verifies, the counts carry
 * over, and what comes after is chained and counted as usual.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { connect, type Db } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { newId } from '../../src/db/ids.js';
import { inTransaction } from '../../src/db/transaction.js';
import { chainStart, entryHash } from '../../src/audit/rules.js';
import { recordAudit } from '../../src/audit/record.js';
import { countUnsealed } from '../../src/audit/store.js';
import { verifyAuditLog } from '../../src/audit/service.js';
import { cliOrigin } from '../../src/audit/origin.js';
import { countByStatus } from '../../src/users/store.js';
import { describeEachDatabase } from '../support/roster.js';
import { ownDatabase } from '../support/own-database.js';

describeEachDatabase('upgrading through 0010', (database) => {
  let db: Db;
  let drop: () => Promise<void> = async () => {};
  const accountId = newId(Date.now());
  const now = Date.now();

  beforeAll(async () => {
    const own = await ownDatabase(database);
    drop = own.drop;
    db = connect(loadConfig({ ROSTER_DATABASE_URL: own.url }).database);
    await migrate(db, { to: '0009-user-counts' });

    // An account as 0009 left it: users counted by its triggers, three chained entries.
    const k = db.kysely;
    await k
      .insertInto('accounts')
      .values({ id: accountId, name: 'Old', created_at: now })
      .execute();
    const states = ['active', 'active', 'pending'] as const;
    for (const [i, state] of states.entries()) {
      await k
        .insertInto('users')
        .values({
          id: newId(now),
          account_id: accountId,
          email: `old${i}@example.com`,
          email_normalized: `old${i}@example.com`,
          name: `Old ${i}`,
          role: 'member',
          custom_role_id: null,
          is_developer: 0,
          state,
          password_hash: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    let prev = chainStart(accountId);
    for (let seq = 1; seq <= 3; seq++) {
      const entry = {
        id: newId(now),
        account_id: accountId,
        created_at: now,
        user_id: null,
        api_key_id: null,
        ip: null,
        operation_type: 'mutation' as const,
        operation_name: 'renameAccount',
        operation_text: 'cli accounts rename',
        variables: null,
        target_type: 'Account',
        target_id: accountId,
        changes: null,
        prev_hash: prev,
      };
      const hash = entryHash(entry);
      await k
        .insertInto('audit_entries')
        .values({ ...entry, seq, hash })
        .execute();
      prev = hash;
    }
    const head = { account_id: accountId, seq: 3, hash: prev };
    await k
      .insertInto('audit_chains')
      .values({ ...head, pruned_seq: 0, pruned_hash: chainStart(accountId) })
      .execute();

    expect(await migrate(db)).toContain('0010-writers-in-parallel');
  });

  afterAll(async () => {
    await db.close();
    await drop();
  });

  it('keeps the counts, and counts what follows', async () => {
    expect(await countByStatus(db.kysely, accountId, now)).toEqual({
      active: 2,
      invited: 0,
      expired: 1,
    });
    await db.kysely
      .updateTable('users')
      .set({ state: 'active' })
      .where('account_id', '=', accountId)
      .where('state', '=', 'pending')
      .execute();
    expect(await countByStatus(db.kysely, accountId, now)).toMatchObject({ active: 3, expired: 0 });
  });

  it('keeps the chain, and chains what follows onto it', async () => {
    const by = { accountId, userId: null, origin: cliOrigin('accounts rename', {}) };
    await inTransaction(db, (trx) => recordAudit(trx, by, { operation: 'renameAccount', at: now }));
    // No sealer runs on this handle: the entry waits, counted, until verification chains it.
    expect(await countUnsealed(db.kysely)).toBe(1);
    const [report] = await verifyAuditLog(db, accountId);
    expect(report).toMatchObject({ entries: 4, headSeq: 4, findings: [] });
    expect(await countUnsealed(db.kysely)).toBe(0);
  });
});
