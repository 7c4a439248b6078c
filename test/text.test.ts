/** The text policy (src/text.ts), case by case: what every human-readable field may hold. */
import { describe, expect, it } from 'vitest';
import { checkText, hasInvisible, isStorableText, unstorableField } from '../src/text.js';
import { emailProblem, normalizeName } from '../src/users/rules.js';

const NAME = { max: 255, trim: true };
const DESCRIPTION = { max: 1000, trim: false, allowEmpty: true };

describe('checkText', () => {
  it.each([
    ['a plain name', 'Ada Lovelace', 'Ada Lovelace'],
    ['trimmed', '  Ada  ', 'Ada'],
    ['accents and other scripts', 'José Ñúñez 李小龍 Дмитрий', 'José Ñúñez 李小龍 Дмитрий'],
    ['an emoji sequence with a zero-width joiner', 'Dev 👩\u200D💻', 'Dev 👩\u200D💻'],
    ['a variation selector after a letter', 'Star ☆\uFE0F', 'Star ☆\uFE0F'],
    ['a zero-width non-joiner inside a Persian name', 'می\u200Cخواهم', 'می\u200Cخواهم'],
    ['template and HTML syntax (kept, escaped where shown)', '<b>{{7*7}}</b>', '<b>{{7*7}}</b>'],
    ['255 characters (code points)', '😀'.repeat(255), '😀'.repeat(255)],
  ])('accepts %s', (_case, value, stored) => {
    expect(checkText(value, NAME)).toEqual({ text: stored });
  });

  it.each([
    ['empty', ''],
    ['only white space', ' \t '],
    ['256 characters', 'a'.repeat(256)],
    ['NUL', 'Ada\u0000'],
    ['a tab inside', 'Ada\tLovelace'],
    ['a line feed inside', 'Ada\nLovelace'],
    ['a carriage return inside', 'Ada\rLovelace'],
    ['DEL', 'Ada\u007F'],
    ['a C1 control', 'Ada\u0085x'],
    ['a line separator U+2028', 'Ada\u2028Bcc: x'],
    ['a paragraph separator U+2029', 'Ada\u2029x'],
    ['a right-to-left override', 'Bob\u202Egnp.exe'],
    ['a left-to-right embedding', 'Bob\u202Ax'],
    ['a pop directional formatting', 'Bob\u202Cx'],
    ['a first-strong isolate', 'Bob\u2068x'],
    ['a pop directional isolate', 'Bob\u2069x'],
    ['a lone high surrogate', 'Ada\uD800'],
    ['a lone low surrogate', '\uDC00Ada'],
    ['only zero-width spaces', '\u200B\u200B'],
    ['only a combining grapheme joiner', '\u034F'],
    ['only a variation selector', '\uFE0F'],
    ['only a Mongolian free variation selector', '\u180B'],
    ['only a Hangul filler', '\u3164'],
    ['only a half-width Hangul filler', '\uFFA0'],
    ['only Hangul choseong and jungseong fillers', '\u115F\u1160'],
    ['only a braille blank', '\u2800'],
    ['only a word joiner and a byte order mark', '\u2060\uFEFF'],
    ['only a soft hyphen', '\u00AD'],
    ['only tag characters', '\u{E0041}\u{E0042}'],
    ['invisible characters around spaces', '\u200B \u3164 \u2800'],
  ])('refuses %s', (_case, value) => {
    expect(checkText(value, NAME)).toEqual({ problem: expect.any(String) });
  });

  it('a description is kept as given, may be empty, and obeys the same rules', () => {
    expect(checkText(' jobs ', DESCRIPTION)).toEqual({ text: ' jobs ' });
    expect(checkText('', DESCRIPTION)).toEqual({ text: '' });
    for (const bad of ['a\u0000b', 'a\nb', 'a\u202Eb', 'a\uD800', '\u200B', 'a\u2028b', ' ']) {
      expect(checkText(bad, DESCRIPTION), JSON.stringify(bad)).toEqual({
        problem: expect.any(String),
      });
    }
  });

  it('user and account names go through it', () => {
    expect(normalizeName('\u3164')).toEqual({ problem: expect.any(String) });
    expect(normalizeName('Ada\u2029')).toEqual({ name: 'Ada' });
    expect(normalizeName('Ada\u2029Lovelace')).toEqual({ problem: expect.any(String) });
  });
});

describe('invisible characters in emails', () => {
  it.each([
    ['a combining grapheme joiner', 'ann\u034F@example.com'],
    ['a variation selector', 'ann\uFE0F@example.com'],
    ['a Mongolian free variation selector', 'ann\u180B@example.com'],
    ['a Hangul filler', 'ann\u3164@example.com'],
    ['a half-width Hangul filler', 'ann\uFFA0@example.com'],
    ['a braille blank', 'ann\u2800@example.com'],
    ['a zero-width space', 'ann\u200B@example.com'],
    ['a zero-width joiner', 'ann\u200D@example.com'],
    ['a soft hyphen', 'an\u00ADn@example.com'],
    ['a tag character', 'ann\u{E0041}@example.com'],
    ['one in the domain', 'ann@exam\u034Fple.com'],
    ['a character NFKC turns into a space', 'ann\u00A8@example.com'],
  ])('refuses an address with %s', (_case, email) => {
    expect(emailProblem(email)).toMatch(/invisible|spaces/);
  });

  it('accepts ordinary addresses, in any script', () => {
    for (const email of ['ann@example.com', 'josé@example.com', '李@例子.公司', 'a+b@x.io']) {
      expect(emailProblem(email), email).toBeUndefined();
    }
  });

  it('hasInvisible finds them', () => {
    expect(hasInvisible('abc')).toBe(false);
    expect(hasInvisible('a\u2800')).toBe(true);
  });
});

describe('text the databases can store', () => {
  it.each([
    ['plain text', 'abc', true],
    ['empty', '', true],
    ['astral characters', '😀', true],
    ['NUL', 'a\u0000b', false],
    ['a lone high surrogate', 'a\uD800', false],
    ['a lone low surrogate', '\uDC00', false],
  ])('%s: %s', (_case, value, storable) => {
    expect(isStorableText(value)).toBe(storable);
  });

  it('unstorableField names the first field that holds such text', () => {
    expect(unstorableField({ name: 'a', email: 'b' })).toBeUndefined();
    expect(unstorableField({ name: 'a', email: 'b\u0000' })).toBe('email');
    expect(unstorableField({ role: { type: 'x', name: '\uD800' } })).toBe('role.name');
    expect(unstorableField({ status: ['active', 'a\u0000'] }, 'query')).toBe('status.1');
    expect(unstorableField({ 'a\u0000': 'x' })).toBe('body (a field name)');
    expect(unstorableField('\u0000', 'email')).toBe('email');
    expect(unstorableField(null)).toBeUndefined();
    expect(unstorableField(42)).toBeUndefined();
  });
});
