/**
 * The one cache in the request path: an API key's hash -> the key and its owner, as
 * findKeyOwner reads them. Every request looks its key up here (auth/bearer.ts).
 *
 * The rule: an answer is given again only while nothing that could change it has happened
 * since it was read. Revocation, refresh, deletion, `is_developer: false` and role changes
 * therefore take effect at the next request, in every process.
 * - This process's own changes: a use case that changes a key, or its owner's state, role or
 *   developer flag, or a custom role's permissions, calls `settled()` after its commit and
 *   before it answers, and `settled()` forgets every answer at once. (Other writes, a create
 *   or a `last_used_at`, leave the answers kept.)
 * - SQLite, other processes: each lookup first reads `PRAGMA data_version`, which moves when
 *   another connection, in any process, has committed. An answer read under another value is
 *   not used.
 * - PostgreSQL, other processes: the database notifies `roster_key_owners` at the commit of
 *   any change to a key or to its owner's state, role or developer flag (migration 0005), or to
 *   the permissions of a custom role (migration 0007). Each process listens on a connection of
 *   its own and forgets every answer at each notification. While that connection is down it
 *   trusts nothing (every lookup reads) until it listens again. A notification reaches each
 *   process when that process's database backend gets to it, so `settled()` also waits until
 *   every listening process has said it was told: the caller's next request, wherever it goes,
 *   finds the change.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import type { Db } from '../db/connect.js';
import { findKeyOwner, type KeyOwner } from '../api-keys/store.js';

export interface KeyCache {
  /** The key with this hash and its owner, or undefined. */
  lookup(keyHash: string): Promise<KeyOwner | undefined>;
  /** Records a write of the key's `last_used_at` (not a change the rule above cares about). */
  touched(keyHash: string, at: number): void;
  /**
   * After a commit that changed keys or their owners (see the rule above): forgets this
   * process's answers at once, and resolves once every process listening on the database has
   * been told of it (PostgreSQL, at most a second; at once on SQLite).
   */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** Answers kept at most; when full, all are dropped. */
const MAX_ENTRIES = 10_000;
const RECONNECT_MS = 1000;
const SETTLE_WITHIN_MS = 1000;
/** The listening connections, as pg_stat_activity names them. */
const APPLICATION_NAME = 'roster-key-cache';
/** A change to keys or their owners (sent by the database, migration 0005). */
const CHANGED = 'roster_key_owners';
/** "Tell me once you have seen every change before this", and the answers to it. */
const SYNC = 'roster_key_owners_sync';
const TOLD = 'roster_key_owners_told';

interface Entry {
  owner: KeyOwner | undefined;
  version: string;
}

export interface KeyCacheOptions {
  /**
   * PostgreSQL: listen for changes (a server does). A one-shot command does not: its cache
   * then never trusts itself, and every lookup reads.
   */
  listen: boolean;
  /** Told when the notification connection is lost (it is then tried again every second). */
  onLost?: (error?: Error) => void;
}

export function startKeyCache(
  db: Db,
  database: DatabaseConfig,
  options: KeyCacheOptions,
): KeyCache {
  const entries = new Map<string, Entry>();
  const listener =
    database.dialect === 'postgres' && options.listen
      ? listenForChanges(database.url, () => entries.clear(), options.onLost)
      : undefined;

  /** This process's changes to keys or their owners so far (settled). */
  let ownChanges = 0;

  /** Where the database stands now, as far as this cache can tell; undefined: trust nothing. */
  async function version(): Promise<string | undefined> {
    if (db.dialect === 'sqlite') {
      const { rows } = await sql<{ dataVersion: number }>`
        select data_version as "dataVersion" from pragma_data_version()`.execute(db.kysely);
      return `${rows[0]!.dataVersion}:${ownChanges}`;
    }
    if (!listener?.listening()) return undefined;
    return `${listener.notifications()}:${ownChanges}`;
  }

  return {
    async lookup(keyHash) {
      const before = await version();
      if (before === undefined) return findKeyOwner(db.kysely, keyHash);
      const entry = entries.get(keyHash);
      if (entry && entry.version === before) return entry.owner;
      const owner = await findKeyOwner(db.kysely, keyHash);
      if (entries.size >= MAX_ENTRIES) entries.clear();
      // Kept under the version seen before the read: a change that came meanwhile makes the
      // next lookup read again.
      entries.set(keyHash, { owner, version: before });
      return owner;
    },
    touched(keyHash, at) {
      const owner = entries.get(keyHash)?.owner;
      if (owner) owner.last_used_at = at;
    },
    async settled() {
      ownChanges++;
      entries.clear();
      await listener?.settled(SETTLE_WITHIN_MS);
    },
    async close() {
      entries.clear();
      await listener?.close();
    },
  };
}

interface Sync {
  answers: number;
  /** The listening connections when the sync was sent; unknown until the count returns. */
  expected?: number;
  done: () => void;
}

interface Listener {
  listening(): boolean;
  /** Notifications (and reconnections) so far: a new number means "forget everything". */
  notifications(): number;
  settled(withinMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A connection of its own that LISTENs, reconnecting when it is lost. It also answers syncs:
 * notifications from one transaction reach each listener after those of every transaction
 * that committed before it, so a process that has seen a sync has seen every change before it,
 * and says so on TOLD. `settled` sends a sync and waits for as many answers as there are
 * listening connections.
 */
function listenForChanges(
  url: string,
  forget: () => void,
  onLost?: (error?: Error) => void,
): Listener {
  let client: pg.Client | undefined;
  let listening = false;
  let notifications = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  /** Syncs this process sent and awaits answers to, by token. */
  const syncs = new Map<string, Sync>();

  const lost = (error?: Error) => {
    if (!listening && client === undefined) return;
    listening = false;
    forget();
    for (const sync of syncs.values()) sync.done();
    const old = client;
    client = undefined;
    old?.end().catch(() => {});
    if (closed) return;
    onLost?.(error);
    timer = setTimeout(connect, RECONNECT_MS);
  };

  function heard(next: pg.Client, { channel, payload }: pg.Notification): void {
    if (channel === CHANGED) {
      notifications++;
      forget();
    } else if (channel === SYNC) {
      next.query('select pg_notify($1, $2)', [TOLD, payload]).catch(() => {});
    } else if (channel === TOLD) {
      const sync = syncs.get(payload ?? '');
      if (sync) {
        sync.answers++;
        if (sync.expected !== undefined && sync.answers >= sync.expected) sync.done();
      }
    }
  }

  async function connect(): Promise<void> {
    if (closed) return;
    const next = new pg.Client({ connectionString: url, application_name: APPLICATION_NAME });
    client = next;
    next.on('notification', (message) => heard(next, message));
    next.on('error', (error) => lost(error));
    next.on('end', () => lost());
    try {
      await next.connect();
      await next.query(`listen ${CHANGED}; listen ${SYNC}; listen ${TOLD}`);
      if (client !== next) return;
      // Whatever changed while no one listened is forgotten too.
      notifications++;
      forget();
      listening = true;
    } catch (error) {
      if (client === next) lost(error as Error);
    }
  }

  void connect();
  return {
    listening: () => listening,
    notifications: () => notifications,
    async settled(withinMs) {
      const sender = client;
      if (!listening || !sender) return;
      const token = randomUUID();
      let deadline: NodeJS.Timeout | undefined;
      const answered = new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(deadline);
          syncs.delete(token);
          resolve();
        };
        syncs.set(token, { answers: 0, done });
        deadline = setTimeout(done, withinMs);
      });
      try {
        const { rows } = await sender.query<{ listeners: number }>(
          `select pg_notify($1, $2), (select count(*)::int from pg_stat_activity
              where application_name = $3 and datname = current_database()) as listeners`,
          [SYNC, token, APPLICATION_NAME],
        );
        const sync = syncs.get(token);
        if (sync) {
          sync.expected = rows[0]!.listeners;
          if (sync.answers >= sync.expected) sync.done();
        }
      } catch {
        syncs.get(token)?.done();
      }
      await answered;
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      listening = false;
      for (const sync of syncs.values()) sync.done();
      const last = client;
      client = undefined;
      await last?.end().catch(() => {});
    },
  };
}
