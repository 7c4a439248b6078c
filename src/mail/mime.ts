/**
 * The MIME message of an email, built in one synchronous pass. nodemailer's MailComposer
 * streams every part through a pipeline of its own (about 600 µs of main-thread time per
 * email); ours are a few kilobytes, so they are built as one string. The encodings are
 * nodemailer's own, so the message says what MailComposer's said.
 */
import { randomUUID } from 'node:crypto';
import * as base64 from 'nodemailer/lib/base64';
import * as mimeFuncs from 'nodemailer/lib/mime-funcs';
import MimeNode from 'nodemailer/lib/mime-node';
import * as qp from 'nodemailer/lib/qp';
import type { OutgoingEmail } from './transport.js';

export interface ComposeOptions {
  date?: Date;
  /** Tests set it; otherwise "=_" and a random UUID (see composeMessage). */
  boundary?: string;
}

/**
 * Only for encodeHeaderValue, nodemailer's public encoder of header values: addresses
 * parsed, their domains punycoded and their names quoted or made encoded words; text made
 * encoded words when it holds anything but printable ASCII. It keeps no state between calls;
 * the static form would build a node, and draw random bytes, for every header.
 */
const headerEncoder = new MimeNode(false, { baseBoundary: 'unused' });

// RFC 5322 2.1.1: a line must be at most 998 octets, and should be at most 78. nodemailer
// folds headers and wraps encoded bodies at 76.
const MAX_LINE = 998;
const FOLD_AT = 76;

/** The message, with CRLF line ends, as SMTP carries it. */
export function composeMessage(email: OutgoingEmail, options: ComposeOptions = {}): string {
  const date = options.date ?? new Date();
  // "=_" cannot occur in quoted-printable or base64, and bodyPart keeps it out of 7bit.
  const boundary = options.boundary ?? `=_${randomUUID()}`;
  const headers = [
    addressField('From', email.from),
    addressField('To', email.to),
    subjectField(email.subject),
    field('Message-ID', `<${email.id}@roster>`),
    field('Date', date.toUTCString().replace('GMT', '+0000')),
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative;\r\n boundary="${boundary}"`,
  ];
  return (
    `${headers.join('\r\n')}\r\n\r\n` +
    `--${boundary}\r\n${bodyPart('text/plain', email.text, boundary)}\r\n` +
    `--${boundary}\r\n${bodyPart('text/html', email.html, boundary)}\r\n` +
    `--${boundary}--\r\n`
  );
}

/**
 * `key: value`, folded. Encoding leaves no line break in a value, but whatever line break or
 * control character got through would start a header of its own, so none gets through.
 */
function field(key: string, value: string): string {
  return mimeFuncs.foldLines(`${key}: ${value.replace(/[\p{Cc}\u2028\u2029]/gu, ' ')}`, FOLD_AT);
}

function fitsLines(folded: string): boolean {
  // A UTF-16 code unit is at most 3 octets of UTF-8: most headers need no closer look.
  if (folded.length * 3 <= MAX_LINE) return true;
  return folded.split('\r\n').every((line) => Buffer.byteLength(line) <= MAX_LINE);
}

/** The last From header: every email has the same (ROSTER_MAIL_FROM). */
let lastFrom = { value: '', field: '' };

/**
 * An address encodeHeaderValue writes as it is: no name, a lowercase dot-atom of letters,
 * digits, `.`, `_`, `+` and `-`, and a lowercase LDH domain of two labels or more. Most
 * recipients' addresses are such; parsing one costs more than the rest of the message's
 * headers together.
 */
const PLAIN_ADDRESS =
  /^[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

function addressField(key: 'From' | 'To', value: string): string {
  if (key === 'From' && value === lastFrom.value) return lastFrom.field;
  const encoded = PLAIN_ADDRESS.test(value) ? value : headerEncoder.encodeHeaderValue(key, value);
  const folded = field(key, encoded);
  // Only an address far past RFC 5321's 254 octets (or a name as long, without a space) gets
  // here: there is nowhere to fold it, and cutting it would change it.
  if (!fitsLines(folded)) throw new Error(`the ${key} header does not fit in lines of 998 octets`);
  if (key === 'From') lastFrom = { value, field: folded };
  return folded;
}

function subjectField(subject: string): string {
  const folded = field('Subject', headerEncoder.encodeHeaderValue('Subject', subject));
  if (fitsLines(folded)) return folded;
  // A word of plain ASCII too long to fold: as encoded words of 52 characters it folds.
  return field('Subject', mimeFuncs.encodeWord(subject.replace(/\r\n|\r|\n/g, ' '), 'Q', 52));
}

/**
 * One text part. Short plain ASCII lines go as they are (7bit), unless they hold the boundary;
 * anything else as quoted-printable, or base64 when most letters are not Latin (quoted-printable
 * would triple them): nodemailer's choice, though it did not count the letters of plain ASCII.
 * Both wrap at 76, and neither can hold "=_".
 */
function bodyPart(contentType: 'text/plain' | 'text/html', body: string, boundary: string): string {
  // Text line breaks are CRLF on the wire, before any encoding (RFC 2046 4.1.1).
  const canonical = body.replace(/\r\n|\r|\n/g, '\r\n');
  const plain = mimeFuncs.isPlainText(canonical);
  let encoding: string;
  let encoded: string;
  if (plain && !hasLongerLines(canonical) && !canonical.includes(boundary)) {
    encoding = '7bit';
    encoded = canonical;
  } else if (!plain && mostlyNonLatin(canonical)) {
    encoding = 'base64';
    encoded = base64.wrap(base64.encode(canonical), FOLD_AT);
  } else {
    encoding = 'quoted-printable';
    encoded = qp.wrap(plain ? plainQuotedPrintable(canonical) : qp.encode(canonical), FOLD_AT);
  }
  return (
    `Content-Type: ${contentType}; charset=utf-8\r\n` +
    `Content-Transfer-Encoding: ${encoding}\r\n\r\n${encoded}`
  );
}

/**
 * qp.encode of plain text (isPlainText: ASCII, no control characters but tab, CR, LF and
 * DEL), which leaves every character as it is but `=`, DEL, and a space or tab before a line
 * end or at the very end, without turning the text into bytes and back.
 */
function plainQuotedPrintable(text: string): string {
  return text.replace(
    /[=\x7f]|[ \t](?=[\r\n]|$)/g,
    (char) => `=${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

const LONGER_LINE = new RegExp(`^.{${FOLD_AT + 1},}`, 'm');

/**
 * nodemailer's hasLongerLines (a line longer than FOLD_AT; any text over 128 KiB counts as
 * having one), without building its regular expression at each call.
 */
function hasLongerLines(text: string): boolean {
  return text.length > 128 * 1024 || LONGER_LINE.test(text);
}

/** As many non-ASCII (and control) characters as Latin letters, or more: nodemailer's test. */
function mostlyNonLatin(text: string): boolean {
  let latin = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) latin++;
    else if (code >= 0x80 || (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d)) {
      other++;
    }
  }
  return other >= latin;
}
