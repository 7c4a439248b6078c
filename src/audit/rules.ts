/**
 * The audit log's pure decisions: what of a request may be kept (secrets removed), the
 * canonical form of an entry and its hash, and what a walk along an account's chain finds.
 */
import { createHash } from 'node:crypto';
import { API_KEY_PREFIX } from '../auth/secrets.js';
import type { AuditEntriesTable } from '../db/tables.js';

// ---------------------------------------------------------------------------------------
// Secrets

/** What a removed secret reads as. */
export const REDACTED = '[redacted]';

/**
 * A field that holds a secret, by its name: passwords (temporary or not, their confirmation
 * and the current one), tokens, keys, client secrets, credentials, cookies. `key_type` is not
 * one; `key`, `api_key` and `private_key` are.
 */
export function isSecretField(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    /pass(word|phrase)?|secret|token|credential|cookie|authorization|confirmation|^current$|csrf/.test(
      lower,
    ) || /(^|_|-)key$/.test(lower)
  );
}

/** A string that is itself an API key, wherever it was typed. */
function looksLikeApiKey(value: string): boolean {
  return value.startsWith(API_KEY_PREFIX) && value.length > API_KEY_PREFIX.length + 16;
}

/**
 * A copy of `value` without a secret: every field named as one (isSecretField) holds REDACTED
 * instead, and so does every string that is an API key. Depth is bounded: past it, REDACTED.
 */
export function withoutSecrets(value: unknown, depth = 0): unknown {
  if (depth > 16) return REDACTED;
  if (typeof value === 'string') return looksLikeApiKey(value) ? REDACTED : value;
  if (Array.isArray(value)) return value.map((item) => withoutSecrets(item, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(value)) {
    out[name] = isSecretField(name) ? REDACTED : withoutSecrets(inner, depth + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Hashing

/** An entry the sealer has chained: its place and hashes are set. */
export type SealedEntry = AuditEntriesTable & { seq: number; prev_hash: string; hash: string };

/** The fields of an entry that its hash covers, as stored: all but its place and its hash. */
export type ChainedEntry = Omit<SealedEntry, 'seq' | 'hash'>;

/**
 * The canonical form of an entry: a JSON array of its fields in this fixed order, each as
 * stored (JSON columns as their text, times as integer epoch milliseconds, absent values as
 * null), behind a version tag. An array has no key order to disagree on, and JSON.stringify of
 * strings, integers and null is one spelling only. `seq` is not in it: an entry's place is what
 * prev_hash links, so that moving an entry shows as a broken link, not as an altered entry.
 */
export function canonicalEntry(entry: ChainedEntry): string {
  return JSON.stringify([
    'roster-audit-1',
    entry.prev_hash,
    entry.id,
    entry.account_id,
    entry.created_at,
    entry.user_id,
    entry.api_key_id,
    entry.ip,
    entry.operation_type,
    entry.operation_name,
    entry.operation_text,
    entry.variables,
    entry.target_type,
    entry.target_id,
    entry.changes,
  ]);
}

export function entryHash(entry: ChainedEntry): string {
  return createHash('sha256').update(canonicalEntry(entry), 'utf8').digest('hex');
}

/** What the first entry of an account's chain links to. */
export function chainStart(accountId: string): string {
  return createHash('sha256').update(`roster-audit-chain:${accountId}`, 'utf8').digest('hex');
}

// ---------------------------------------------------------------------------------------
// Verification

export type Finding =
  | { kind: 'altered'; id: string; seq: number }
  | { kind: 'removed'; id: string; seq: number; count: number | undefined }
  | { kind: 'reordered'; id: string; seq: number; follows: ChainPlace }
  | { kind: 'removed-newest'; headSeq: number; lastSeq: number };

/** An entry's place in the chain, or the chain's start. */
export type ChainPlace = { id: string; seq: number } | 'start';

export type StoredEntry = SealedEntry;

/** Where the chain must start (after retention) and end (its head), as audit_chains records. */
export interface ChainBounds {
  prunedSeq: number;
  prunedHash: string;
  seq: number;
  hash: string;
}

/** A break in the links, to be told apart (removed or reordered) once every hash is known. */
export interface BrokenLink {
  id: string;
  seq: number;
  prevHash: string;
  /** Entries missing between it and the entry stored before it, by their seq. */
  gap: number;
}

/**
 * Walks an account's entries in seq order, one at a time, so that a chain of millions needs
 * no more memory than its findings: `next` checks one entry, `finish` checks the end. The
 * first entry must link to where retention cut the chain (or to its start), the last must be
 * the head: so entries removed from either end show too.
 */
export function chainWalker(bounds: ChainBounds) {
  const findings: Finding[] = [];
  const broken: BrokenLink[] = [];
  let previous = { seq: bounds.prunedSeq, hash: bounds.prunedHash };
  let count = 0;
  return {
    findings,
    broken,
    get count() {
      return count;
    },
    next(entry: StoredEntry): void {
      count++;
      if (entryHash(entry) !== entry.hash) {
        findings.push({ kind: 'altered', id: entry.id, seq: entry.seq });
      }
      if (entry.prev_hash !== previous.hash) {
        broken.push({
          id: entry.id,
          seq: entry.seq,
          prevHash: entry.prev_hash,
          gap: entry.seq - previous.seq - 1,
        });
      }
      previous = { seq: entry.seq, hash: entry.hash };
    },
    finish(): void {
      if (previous.seq !== bounds.seq || previous.hash !== bounds.hash) {
        findings.push({ kind: 'removed-newest', headSeq: bounds.seq, lastSeq: previous.seq });
      }
    },
  };
}

/**
 * Tells each broken link apart: the entry it names as its predecessor is elsewhere in the
 * chain (`where` finds it by hash), so the entries were reordered; or it is nowhere, so
 * entries were removed (or rewritten with new hashes) before it.
 */
export function classifyBrokenLink(link: BrokenLink, where: ChainPlace | undefined): Finding {
  if (where) return { kind: 'reordered', id: link.id, seq: link.seq, follows: where };
  return {
    kind: 'removed',
    id: link.id,
    seq: link.seq,
    count: link.gap > 0 ? link.gap : undefined,
  };
}

/** One line for a person reading `roster audit verify`. */
export function describeFinding(finding: Finding, globalId: (id: string) => string): string {
  switch (finding.kind) {
    case 'altered':
      return `entry ${globalId(finding.id)} (seq ${finding.seq}) was altered: its content does not match its hash`;
    case 'removed':
      return (
        `entry ${globalId(finding.id)} (seq ${finding.seq}): ` +
        (finding.count !== undefined
          ? `${finding.count} entr${finding.count === 1 ? 'y was' : 'ies were'} removed before it`
          : 'the entry before it was removed or rewritten (its previous hash matches no entry)')
      );
    case 'reordered':
      return (
        `entry ${globalId(finding.id)} (seq ${finding.seq}) was reordered: it was chained after ` +
        (finding.follows === 'start'
          ? 'the start of the chain'
          : `entry ${globalId(finding.follows.id)} (seq ${finding.follows.seq})`)
      );
    case 'removed-newest':
      return (
        `the newest entries were removed (or the head rewritten): the chain's head is ` +
        `seq ${finding.headSeq}, the last entry left is seq ${finding.lastSeq}`
      );
  }
}
