/** SQL for web sessions. Nothing else. */
import type { Kysely } from 'kysely';
import type { AccountRole, SessionsTable, Tables, UserState } from '../db/tables.js';
import type { Trx } from '../db/transaction.js';
import { onLiveInvitation } from '../users/store.js';

type Queryable = Kysely<Tables> | Trx;

export async function insertSession(db: Queryable, session: SessionsTable): Promise<void> {
  await db.insertInto('sessions').values(session).execute();
}

export interface SessionRow extends SessionsTable {
  account_name: string;
  user_name: string;
  email: string;
  role: AccountRole;
  state: UserState;
  has_password: number;
  invitation_expires_at: number | null;
}

/** A session with its user and account; deleted users' sessions are not found. */
export function findSession(db: Queryable, id: string): Promise<SessionRow | undefined> {
  return db
    .selectFrom('sessions as s')
    .innerJoin('users as u', (join) =>
      join.onRef('u.id', '=', 's.user_id').onRef('u.account_id', '=', 's.account_id'),
    )
    .innerJoin('accounts as a', 'a.id', 's.account_id')
    .leftJoin('user_tokens as t', onLiveInvitation)
    .selectAll('s')
    .select([
      'a.name as account_name',
      'u.name as user_name',
      'u.email',
      'u.role',
      'u.state',
      't.expires_at as invitation_expires_at',
    ])
    .select((eb) =>
      eb.case().when('u.password_hash', 'is not', null).then(1).else(0).end().as('has_password'),
    )
    .where('s.id', '=', id)
    .where('u.state', '!=', 'inactive')
    .executeTakeFirst();
}

export async function touchSession(db: Queryable, id: string, now: number): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
}

export async function deleteSession(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

/** Ends every session of a user at once (password change, reset, deletion). */
export async function endSessionsOfUser(
  db: Queryable,
  accountId: string,
  userId: string,
): Promise<void> {
  await db
    .deleteFrom('sessions')
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .execute();
}

/** Sessions past their absolute end; removed now and then so the table does not grow forever. */
export async function deleteExpiredSessions(db: Queryable, now: number): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
}
