import { describe, expect, it } from 'vitest';
import {
  canonicalEntry,
  chainStart,
  chainWalker,
  classifyBrokenLink,
  describeFinding,
  entryHash,
  isSecretField,
  REDACTED,
  withoutSecrets,
  type StoredEntry,
} from '../../src/audit/rules.js';

describe('secrets never reach an entry', () => {
  it.each([
    'password',
    'temporary_password',
    'current_password',
    'confirmation',
    'current',
    'token',
    'refresh_token',
    'key',
    'api_key',
    'private_key',
    'client_secret',
    'secret',
    'Authorization',
    'cookie',
    '_csrf',
    'credentials',
  ])('%s is a secret field', (name) => expect(isSecretField(name)).toBe(true));

  it.each(['name', 'email', 'key_type', 'is_developer', 'role', 'expires_at', 'account'])(
    '%s is not',
    (name) => expect(isSecretField(name)).toBe(false),
  );

  it('fields named as secrets are redacted at any depth, and API keys wherever they are', () => {
    const key = `rstr_${'a'.repeat(43)}`;
    expect(
      withoutSecrets({
        name: 'Ada',
        password: 'hunter22',
        nested: { client_secret: 's3cret', list: [{ token: 't' }, key] },
        description: key,
        key_type: 'user',
      }),
    ).toEqual({
      name: 'Ada',
      password: REDACTED,
      nested: { client_secret: REDACTED, list: [{ token: REDACTED }, REDACTED] },
      description: REDACTED,
      key_type: 'user',
    });
  });
});

function entry(seq: number, prev: string, extra: Partial<StoredEntry> = {}): StoredEntry {
  const base = {
    id: `01J0000000000000000000000${seq}`.slice(-26),
    account_id: 'ACC',
    created_at: 1_700_000_000_000 + seq,
    user_id: 'U1',
    api_key_id: null,
    ip: '127.0.0.1',
    operation_type: 'mutation' as const,
    operation_name: 'createUser',
    operation_text: 'POST /v2/users',
    variables: '{"name":"Ada"}',
    target_type: 'User',
    target_id: 'U2',
    changes: null,
    prev_hash: prev,
    ...extra,
  };
  return { ...base, seq, hash: entryHash(base) };
}

function chain(length: number): StoredEntry[] {
  const out: StoredEntry[] = [];
  let prev = chainStart('ACC');
  for (let seq = 1; seq <= length; seq++) {
    const next = entry(seq, prev);
    out.push(next);
    prev = next.hash;
  }
  return out;
}

/** Walks `entries` as verification does, classifying broken links by hashes found in them. */
function walk(entries: StoredEntry[], bounds = boundsOf(chain(entries.length))) {
  const walker = chainWalker(bounds);
  for (const e of entries) walker.next(e);
  walker.finish();
  const byHash = new Map(entries.map((e) => [e.hash, { id: e.id, seq: e.seq }]));
  return [
    ...walker.findings,
    ...walker.broken.map((link) =>
      classifyBrokenLink(
        link,
        link.prevHash === bounds.prunedHash ? 'start' : byHash.get(link.prevHash),
      ),
    ),
  ];
}

function boundsOf(entries: StoredEntry[]) {
  const last = entries[entries.length - 1]!;
  return { prunedSeq: 0, prunedHash: chainStart('ACC'), seq: last.seq, hash: last.hash };
}

describe('the hash chain', () => {
  it('the canonical form is a fixed-order array, so the same entry always hashes the same', () => {
    const one = entry(1, 'p');
    expect(canonicalEntry(one)).toBe(canonicalEntry({ ...one }));
    expect(JSON.parse(canonicalEntry(one))[0]).toBe('roster-audit-1');
    expect(entryHash(one)).toMatch(/^[0-9a-f]{64}$/);
    // Every field counts.
    for (const field of ['ip', 'operation_name', 'variables', 'user_id', 'prev_hash'] as const) {
      expect(entryHash({ ...one, [field]: 'x' }), field).not.toBe(entryHash(one));
    }
    expect(entryHash({ ...one, created_at: one.created_at + 1 })).not.toBe(entryHash(one));
  });

  it('an intact chain has no finding', () => {
    const entries = chain(5);
    expect(walk(entries, boundsOf(entries))).toEqual([]);
  });

  it('an altered entry is reported as altered', () => {
    const entries = chain(5);
    entries[2] = { ...entries[2]!, operation_name: 'deleteUser' };
    expect(walk(entries)).toEqual([{ kind: 'altered', id: entries[2]!.id, seq: 3 }]);
  });

  it('a removed entry is reported with how many went', () => {
    const entries = chain(5);
    const removed = entries.splice(2, 1);
    expect(removed).toHaveLength(1);
    expect(walk(entries, boundsOf(chain(5)))).toEqual([
      { kind: 'removed', id: entries[2]!.id, seq: 4, count: 1 },
    ]);
  });

  it('the oldest and the newest entries removed are reported too', () => {
    const full = chain(5);
    expect(walk(full.slice(1), boundsOf(full))).toEqual([
      { kind: 'removed', id: full[1]!.id, seq: 2, count: 1 },
    ]);
    expect(walk(full.slice(0, 4), boundsOf(full))).toEqual([
      { kind: 'removed-newest', headSeq: 5, lastSeq: 4 },
    ]);
  });

  it('two entries swapped are reported as reordered', () => {
    const full = chain(5);
    const swapped = [
      full[0]!,
      { ...full[2]!, seq: 2 },
      { ...full[1]!, seq: 3 },
      full[3]!,
      full[4]!,
    ];
    const findings = walk(swapped, boundsOf(full));
    expect(findings.every((f) => f.kind === 'reordered')).toBe(true);
    expect(findings.map((f) => ('id' in f ? f.id : ''))).toEqual([
      full[2]!.id,
      full[1]!.id,
      full[3]!.id,
    ]);
    expect(describeFinding(findings[0]!, (id) => `#${id}`)).toContain('was reordered');
  });

  it('a chain cut by retention starts from the cut', () => {
    const full = chain(5);
    const kept = full.slice(2);
    const bounds = { ...boundsOf(full), prunedSeq: 2, prunedHash: full[1]!.hash };
    expect(walk(kept, bounds)).toEqual([]);
  });
});
