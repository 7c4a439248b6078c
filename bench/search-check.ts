/**
 * The email filter's figures only count if the index answers exactly what LIKE answered:
 * this lists users through the store (index, pending users, pagination) and compares every
 * page with a plain `LIKE '%x%' ESCAPE '\'` over the same rows, on SQLite before and after
 * the pending users are indexed, and on PostgreSQL. Throws on the first difference.
 */
import { sql } from 'kysely';
import type { Db } from '../src/db/connect.js';
import { inTransaction } from '../src/db/transaction.js';
import { indexPendingEmails } from '../src/users/email-search.js';
import { normalizeEmail } from '../src/users/rules.js';
import { insertUser, listUsers } from '../src/users/store.js';

const EMAILS = [
  'plain@example.com',
  'Mixed.Case@Example.COM',
  'per%cent@example.com',
  'under_score@example.com',
  'underXscore@example.com',
  'back\\slash@example.com',
  'quote"d@example.com',
  'ünïcödé@exämple.com',
  'ＦＵＬＬ＠example.com',
  'kelvin\u212Aelvin@example.com',
  'ab@example.org',
  'abc@example.org',
  'xabcx@example.org',
];

const SUBSTRINGS = [
  'example',
  'EXAMPLE.COM',
  '%',
  '_',
  'r_s',
  'r%c',
  '\\',
  'k\\s',
  '"',
  'e"d',
  'ünï',
  'ÜNÏ',
  'full',
  'kelvin',
  'ab',
  'abc',
  'xab',
  'b',
  'nothing-like-this',
];

async function plainLike(db: Db, accountId: string, substring: string): Promise<string[]> {
  const pattern = `%${normalizeEmail(substring).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const { rows } = await sql<{ id: string }>`
    select id from users
     where account_id = ${accountId} and state != 'inactive'
       and email_normalized like ${pattern} escape '\\'
     order by created_at, id`.execute(db.kysely);
  return rows.map((row) => row.id);
}

async function listed(db: Db, accountId: string, substring: string): Promise<string[]> {
  const ids: string[] = [];
  let after: { createdAt: number; id: string } | undefined;
  for (;;) {
    const rows = await listUsers(db.kysely, {
      accountId,
      emailContains: normalizeEmail(substring),
      statuses: ['active', 'invited', 'expired'],
      after,
      limit: 2,
      now: Date.now(),
    });
    const page = rows.slice(0, 2);
    ids.push(...page.map((row) => row.id));
    if (rows.length <= 2) return ids;
    const last = page[page.length - 1]!;
    after = { createdAt: last.created_at, id: last.id };
  }
}

async function compare(db: Db, accountId: string, stage: string): Promise<void> {
  for (const substring of SUBSTRINGS) {
    const expected = await plainLike(db, accountId, substring);
    const actual = await listed(db, accountId, substring);
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      throw new Error(
        `email filter "${substring}" on ${db.dialect} (${stage}): listed ${actual.length} users, ` +
          `LIKE finds ${expected.length}: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`,
      );
    }
  }
}

/** Adds the check's users to an account (and a decoy account), then compares. */
export async function checkEmailSearch(db: Db): Promise<void> {
  const now = Date.now();
  const accountIds: string[] = [];
  await inTransaction(db, async (trx) => {
    for (const name of ['search check', 'search check decoy']) {
      const id = `01SEARCHCHECK${accountIds.length}`.padEnd(26, '0');
      await trx.insertInto('accounts').values({ id, name, created_at: now }).execute();
      accountIds.push(id);
    }
    for (const [i, email] of EMAILS.entries()) {
      for (const accountId of accountIds) {
        await insertUser(
          trx,
          {
            accountId,
            email,
            emailNormalized: normalizeEmail(email),
            name: 'Search Check',
            role: 'member',
            isDeveloper: true,
            state: 'active',
          },
          now + i,
        );
      }
    }
  });
  const accountId = accountIds[0]!;
  await compare(db, accountId, 'just created');
  if (db.dialect === 'sqlite') {
    while ((await indexPendingEmails(db.kysely, 1000)) > 0);
    await compare(db, accountId, 'indexed');
  }
}
