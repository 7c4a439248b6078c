/** The users feature's pure rules, case by case: the idempotency table, status, names, emails. */
import { describe, expect, it } from 'vitest';
import {
  decideCreate,
  defaultIsDeveloper,
  deriveStatus,
  emailProblem,
  invitationExpiresAt,
  normalizeEmail,
  normalizeName,
  type CurrentStatus,
  type InviteMode,
} from '../../src/users/rules.js';

const NOW = Date.parse('2026-11-22T10:00:00.000Z');

describe('the create idempotency table (one case per row)', () => {
  const modes: InviteMode[] = ['email_link', 'temporary_password', 'none'];
  const rows: [string, CurrentStatus | undefined, Record<InviteMode, string>][] = [
    [
      'no user for that email: invite modes create and invite (201); none creates an active user (201)',
      undefined,
      { email_link: 'create', temporary_password: 'create', none: 'create' },
    ],
    [
      'invited: invite modes return it as it is (200); none activates it as an SSO user (200)',
      'invited',
      { email_link: 'return-as-is', temporary_password: 'return-as-is', none: 'activate' },
    ],
    [
      'expired: invite modes re-invite the same user (201); none activates it as an SSO user (200)',
      'expired',
      { email_link: 'reinvite', temporary_password: 'reinvite', none: 'activate' },
    ],
    [
      'active: every mode is refused (409)',
      'active',
      { email_link: 'refuse', temporary_password: 'refuse', none: 'refuse' },
    ],
    [
      'inactive (deleted): every mode is refused, it cannot be re-invited (409)',
      'inactive',
      { email_link: 'refuse', temporary_password: 'refuse', none: 'refuse' },
    ],
  ];

  it.each(rows)('%s', (_row, existing, expected) => {
    for (const mode of modes) {
      expect(decideCreate(existing, mode).action, mode).toBe(expected[mode]);
    }
  });

  it('a refusal says why, in words a caller understands', () => {
    const active = decideCreate('active', 'none');
    const deleted = decideCreate('inactive', 'email_link');
    expect(active).toEqual({ action: 'refuse', reason: expect.stringMatching(/active/) });
    expect(deleted).toEqual({ action: 'refuse', reason: expect.stringMatching(/deleted/) });
  });
});

describe('deriveStatus', () => {
  it('an active user is active, whatever its invitation', () => {
    expect(deriveStatus('active', null, NOW)).toBe('active');
    expect(deriveStatus('active', NOW + 1000, NOW)).toBe('active');
    expect(deriveStatus('active', NOW - 1000, NOW)).toBe('active');
  });

  it('a deleted user is inactive, whatever its invitation', () => {
    expect(deriveStatus('inactive', NOW + 1000, NOW)).toBe('inactive');
    expect(deriveStatus('inactive', null, NOW)).toBe('inactive');
  });

  it('a pending user is invited while its invitation has not expired', () => {
    expect(deriveStatus('pending', NOW + 1, NOW)).toBe('invited');
    expect(deriveStatus('pending', NOW + 7 * 86_400_000, NOW)).toBe('invited');
  });

  it('a pending user is expired from the moment its invitation expires', () => {
    expect(deriveStatus('pending', NOW, NOW)).toBe('expired');
    expect(deriveStatus('pending', NOW - 1, NOW)).toBe('expired');
  });

  it('a pending user without a live invitation is expired', () => {
    expect(deriveStatus('pending', null, NOW)).toBe('expired');
  });
});

describe('defaults', () => {
  it('admins and members are developers by default, annotators are not', () => {
    expect(defaultIsDeveloper('admin')).toBe(true);
    expect(defaultIsDeveloper('member')).toBe(true);
    expect(defaultIsDeveloper('annotator')).toBe(false);
  });

  it('an invitation expires after the configured number of seconds', () => {
    expect(invitationExpiresAt(NOW, 604_800)).toBe(NOW + 604_800_000);
    expect(invitationExpiresAt(NOW, 1)).toBe(NOW + 1000);
  });
});

describe('normalizeEmail', () => {
  it('compares case-insensitively', () => {
    expect(normalizeEmail('Grace.Hopper@Example.COM')).toBe('grace.hopper@example.com');
  });

  it('folds compatibility forms (Kelvin sign, full-width letters) to plain letters', () => {
    expect(normalizeEmail('\u212Aate@example.com')).toBe('kate@example.com');
    expect(normalizeEmail('\uFF41da@example.com')).toBe('ada@example.com');
  });

  it('makes composed and decomposed spellings of one address meet', () => {
    expect(normalizeEmail('jos\u00E9@example.com')).toBe(normalizeEmail('jose\u0301@example.com'));
    expect(normalizeEmail('JOS\u00C9@example.com')).toBe(normalizeEmail('jos\u00E9@example.com'));
  });

  it('changes nothing else', () => {
    expect(normalizeEmail('a+tag@sub.example.org')).toBe('a+tag@sub.example.org');
  });
});

describe('emailProblem', () => {
  it.each([
    'a@example.com',
    'first.last+tag@sub.example.co.uk',
    'o\u2019reilly@example.com',
    'j\u00F6rg@b\u00FCcher.example',
    `${'a'.repeat(64)}@example.com`,
  ])('accepts %s', (email) => {
    expect(emailProblem(email)).toBeUndefined();
  });

  it('accepts exactly 254 characters and refuses 255', () => {
    const domain = `${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.example`;
    const local = 'l'.repeat(254 - domain.length - 1);
    expect(`${local}@${domain}`).toHaveLength(254);
    expect(emailProblem(`${local}@${domain}`)).toBeUndefined();
    expect(emailProblem(`${local}x@${domain}`)).toMatch(/at most 254/);
  });

  it.each([
    ['', /empty/],
    ['plainaddress', /@/],
    ['a@b@example.com', /exactly one @/],
    ['@example.com', /local part/],
    [`${'a'.repeat(65)}@example.com`, /local part must be at most 64/],
    ['.a@example.com', /dot/],
    ['a.@example.com', /dot/],
    ['a..b@example.com', /dot/],
    ['a@localhost', /domain/],
    ['a@example..com', /domain/],
    ['a@-example.com', /hyphen/],
    ['a@example-.com', /hyphen/],
    [`a@${'x'.repeat(64)}.com`, /domain/],
    ['a b@example.com', /spaces/],
    ['a@example.com\n', /spaces/],
    ['"a"@example.com', /quotes/],
    ['<a@example.com>', /quotes/],
    ['a\u200B@example.com', /control/],
    ['a\u202E@example.com', /control/],
    ['a\uD800@example.com', /Unicode/],
  ])('refuses %j', (email, problem) => {
    expect(emailProblem(email)).toMatch(problem);
  });
});

describe('normalizeName', () => {
  it('trims white space on both ends, and keeps it inside', () => {
    expect(normalizeName('  Ada   Lovelace \t\n')).toEqual({ name: 'Ada   Lovelace' });
  });

  it('refuses empty and white-space-only names', () => {
    for (const name of ['', '   ', '\t\n', '\u00A0\u3000']) {
      expect(normalizeName(name)).toEqual({ problem: expect.stringMatching(/empty/) });
    }
  });

  it('allows 255 characters after trimming, counting characters rather than UTF-16 units', () => {
    expect(normalizeName(` ${'a'.repeat(255)} `)).toEqual({ name: 'a'.repeat(255) });
    expect(normalizeName('a'.repeat(256))).toEqual({ problem: expect.stringMatching(/255/) });
    expect(normalizeName('\u{1F600}'.repeat(255))).toEqual({ name: '\u{1F600}'.repeat(255) });
    expect(normalizeName('\u{1F600}'.repeat(256))).toHaveProperty('problem');
  });

  it('keeps letters of every script and punctuation', () => {
    for (const name of [
      'Zo\u00EB Saldana',
      '\u674E\u5C0F\u9F99',
      "O'Brien-Smith, Jr.",
      '\u0645\u062D\u0645\u062F',
    ]) {
      expect(normalizeName(name)).toEqual({ name });
    }
  });

  it('refuses control characters and text-direction overrides', () => {
    for (const name of [
      'Ada\u0000',
      'Ada\nLovelace',
      'Ada\u0007',
      'evil\u202Egnp.exe',
      'a\u2066b',
    ]) {
      expect(normalizeName(name)).toEqual({ problem: expect.stringMatching(/control|direction/) });
    }
  });

  it('refuses text that is not valid Unicode', () => {
    expect(normalizeName('Ada\uD800')).toEqual({ problem: expect.stringMatching(/Unicode/) });
  });
});
