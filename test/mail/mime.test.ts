/**
 * The MIME message of an email (src/mail/mime.ts), read back with mailparser: headers, both
 * parts, non-ASCII names, subjects and addresses (as nodemailer's MailComposer wrote them),
 * header injection, line lengths and the boundary; and the two transports that carry it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import * as qp from 'nodemailer/lib/qp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeMessage } from '../../src/mail/mime.js';
import { render } from '../../src/mail/templates.js';
import { fileTransport, smtpTransport, type OutgoingEmail } from '../../src/mail/transport.js';
import { readMbox } from '../support/mbox.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';

const DATE = new Date('2026-03-04T05:06:07Z');

function invitation(overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  const link = `http://roster.test/invitations/accept?token=${'Ab0_-'.repeat(8)}xyz`;
  const rendered = render(
    { template: 'invitation', tokenId: 'token', userId: 'user' },
    {
      link,
      userName: 'Grace Hopper',
      accountName: 'Acme',
      expiresAt: DATE.getTime() + 7 * 24 * 3600 * 1000,
    },
  );
  return {
    id: '01KAXZ6Y3T0000000000000000',
    from: 'Acme People <people@acme.test>',
    to: 'grace@example.com',
    ...rendered,
    ...overrides,
  };
}

const parse = (message: string): Promise<ParsedMail> => simpleParser(message);

function addresses(field: AddressObject | AddressObject[] | undefined) {
  return [field ?? []].flat().flatMap((object) => object.value);
}

/** Every mailbox of an address field, those inside groups too. */
function mailboxes(field: AddressObject | AddressObject[] | undefined): string[] {
  return addresses(field).flatMap((entry) =>
    entry.group ? entry.group.map((member) => member.address) : [entry.address],
  ) as string[];
}

/** The header block's lines, folded lines joined to the line they continue. */
function headerFields(message: string): string[] {
  const block = message.slice(0, message.indexOf('\r\n\r\n'));
  return block.split(/\r\n(?![ \t])/);
}

function field(message: string, key: string): string | undefined {
  return headerFields(message).find((line) => line.startsWith(`${key}: `));
}

async function mailComposerMessage(email: OutgoingEmail): Promise<string> {
  const built = await new MailComposer({ ...email, messageId: `<${email.id}@roster>` })
    .compile()
    .build();
  return built.toString('utf8');
}

const OUR_FIELDS = /^(From|To|Subject|Message-ID|Date|MIME-Version|Content-Type): /;

describe('composeMessage', () => {
  it('an invitation reads back with its headers and both parts', async () => {
    const email = invitation();
    const message = composeMessage(email, { date: DATE });
    const parsed = await parse(message);
    expect(addresses(parsed.from)).toEqual([{ name: 'Acme People', address: 'people@acme.test' }]);
    expect(addresses(parsed.to)).toEqual([{ name: '', address: 'grace@example.com' }]);
    expect(parsed.subject).toBe("You're invited to Acme");
    expect(parsed.messageId).toBe('<01KAXZ6Y3T0000000000000000@roster>');
    expect(parsed.date).toEqual(DATE);
    expect(field(message, 'Date')).toBe('Date: Wed, 04 Mar 2026 05:06:07 +0000');
    expect(parsed.headers.get('mime-version')).toBe('1.0');
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(parsed.text).toBe(email.text);
    expect(parsed.html).toBe(email.html);
    expect(parsed.attachments).toEqual([]);
    expect(headerFields(message).every((line) => OUR_FIELDS.test(line))).toBe(true);
  });

  it('both parts are utf-8 text, plain first, in the order the alternatives prefer', async () => {
    const message = composeMessage(invitation({ text: 'Hëllo', html: '<p>Hëllo</p>' }));
    const parts = [...message.matchAll(/^Content-Type: (text\/\w+); charset=utf-8\r$/gm)];
    expect(parts.map((part) => part[1])).toEqual(['text/plain', 'text/html']);
    const parsed = await parse(message);
    expect([parsed.text, parsed.html]).toEqual(['Hëllo', '<p>Hëllo</p>']);
  });

  describe('non-ASCII names, subjects and addresses', () => {
    // [label, what differs from the invitation, the From's display name as it should read]
    const cases: [string, Partial<OutgoingEmail>, string][] = [
      ['a Latin name with accents', { from: 'Zoë Saldaña <people@acme.test>' }, 'Zoë Saldaña'],
      ['a Chinese name', { from: '李小龙 <people@acme.test>' }, '李小龙'],
      ['an Arabic name', { from: 'محمد <people@acme.test>' }, 'محمد'],
      ['a name with an emoji', { from: 'Acme 🚀 <people@acme.test>' }, 'Acme 🚀'],
      [
        'a name with quotes and a comma',
        { from: '"O\'Brien, \\"Ann\\"" <people@acme.test>' },
        'O\'Brien, "Ann"',
      ],
      ['a subject with accents', { subject: 'Bienvenue chez Société Générale' }, 'Acme People'],
      ['a long Chinese subject', { subject: '欢迎加入'.repeat(30) }, 'Acme People'],
      [
        'a long subject that folds',
        { subject: `You're invited to ${'Acme Corporation '.repeat(12).trim()}` },
        'Acme People',
      ],
      ['a plain address in To', { to: 'load-7@bench.test' }, 'Acme People'],
      [
        'an address with dots, a plus and an underscore',
        { to: 'ann.lee+roster_1@mail.acme-corp.test' },
        'Acme People',
      ],
      ['an address with a quoted local part', { to: '"ann lee"@acme.test' }, 'Acme People'],
      ['a non-ASCII domain in To', { to: 'ann@bücher.example' }, 'Acme People'],
      ['a non-ASCII domain in From', { from: 'Acme <people@straße.example>' }, 'Acme'],
      ['a non-ASCII local part', { to: 'jörg@bücher.example' }, 'Acme People'],
      ['a non-ASCII local part, NFC', { to: 'jos\u00e9@example.com' }, 'Acme People'],
      ['a non-ASCII local part, NFD', { to: 'jose\u0301@example.com' }, 'Acme People'],
    ];

    it.each(cases)(
      '%s: From, To and Subject as MailComposer wrote them',
      async (_label, change) => {
        const email = invitation(change);
        const ours = composeMessage(email);
        const theirs = await mailComposerMessage(email);
        for (const key of ['From', 'To', 'Subject']) {
          expect(field(ours, key), key).toBe(field(theirs, key));
        }
      },
    );

    // mailparser turns a punycoded domain back into Unicode, so the addresses read as given.
    it.each(cases)('%s: reads back as written', async (_label, change, name) => {
      const email = invitation(change);
      const parsed = await parse(composeMessage(email));
      expect(parsed.subject).toBe(email.subject);
      expect(addresses(parsed.from)).toEqual([
        { name, address: email.from.slice(email.from.lastIndexOf('<') + 1, -1) },
      ]);
      expect(addresses(parsed.to)).toEqual([{ name: '', address: email.to }]);
    });

    it('a non-ASCII domain is punycoded in the header', () => {
      const message = composeMessage(
        invitation({ from: 'Acme <people@bücher.example>', to: 'ann@BÜCHER.example' }),
      );
      expect(field(message, 'From')).toBe('From: Acme <people@xn--bcher-kva.example>');
      expect(field(message, 'To')).toBe('To: ann@xn--bcher-kva.example');
    });

    it('a non-ASCII local part keeps the address in UTF-8, domain included (SMTPUTF8)', () => {
      const message = composeMessage(invitation({ to: 'jörg@bücher.example' }));
      expect(field(message, 'To')).toBe('To: jörg@bücher.example');
    });
  });

  describe('header injection', () => {
    const breaks = ['\r\n', '\n', '\r', '\r\n\t', '\u0000', '\u000b', '\u000c', '\u001b', '\u007f'];
    const unicodeBreaks = ['\u0085', '\u2028', '\u2029'];

    const codePoints = (c: string) =>
      [...c].map((x) => `U+${x.codePointAt(0)!.toString(16).padStart(4, '0')}`).join(' ');

    it.each([...breaks, ...unicodeBreaks].map((c) => [codePoints(c), c]))(
      '%s in a name or a subject starts no header of its own',
      async (_label, c) => {
        const email = invitation({
          from: `Acme${c}Bcc: evil@example.com${c} <people@acme.test>`,
          subject: `Hello${c}Bcc: evil@example.com${c}X-Injected: yes${c}`,
        });
        const message = composeMessage(email);
        for (const line of headerFields(message)) expect(line).toMatch(OUR_FIELDS);
        const parsed = await parse(message);
        expect(parsed.headers.has('bcc')).toBe(false);
        expect(parsed.headers.has('x-injected')).toBe(false);
        expect(parsed.bcc).toBeUndefined();
        expect(parsed.subject).toContain('Bcc: evil@example.com');
        // An unquoted colon makes the name a group's (as MailComposer did): still one mailbox.
        expect(mailboxes(parsed.from)).toEqual(['people@acme.test']);
        expect(mailboxes(parsed.to)).toEqual(['grace@example.com']);
        expect(parsed.text).toBe(email.text);
      },
    );

    it('a line break in the Message-ID is dropped, not kept', () => {
      const message = composeMessage(invitation({ id: 'abc\r\nBcc: evil@example.com' }));
      for (const line of headerFields(message)) expect(line).toMatch(OUR_FIELDS);
    });
  });

  describe('lines', () => {
    const long: [string, Partial<OutgoingEmail>][] = [
      ['a text line of 5000 characters', { text: `${'x'.repeat(5000)}\n` }],
      ['an HTML line of 5000 characters', { html: `<p>${'y'.repeat(5000)}</p>` }],
      ['a text line of 5000 spaces', { text: ' '.repeat(5000) }],
      ['a Chinese text of one line', { text: '你好世界'.repeat(1000) }],
      ['a subject word of 3000 ASCII characters', { subject: 'z'.repeat(3000) }],
      ['a subject of 3000 Chinese characters', { subject: '字'.repeat(3000) }],
      ['a long name of one word', { from: `${'N'.repeat(500)} <people@acme.test>` }],
      ['text with CR, LF and CRLF line ends', { text: 'one\rtwo\nthree\r\nfour\n\n' }],
    ];

    it.each(long)(
      '%s: no line over 998 octets, every line ends in CRLF',
      async (_label, change) => {
        const email = invitation(change);
        const message = composeMessage(email);
        expect(message.endsWith('\r\n')).toBe(true);
        expect(message.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
        const lines = message.split('\r\n');
        const longest = Math.max(...lines.map((line) => Buffer.byteLength(line)));
        expect(longest).toBeLessThanOrEqual(998);
        const parsed = await parse(message);
        expect(parsed.subject).toBe(email.subject);
        expect(parsed.html).toBe(email.html);
        expect(parsed.text).toBe(email.text.replace(/\r\n|\r/g, '\n'));
      },
    );

    it('body lines are at most 76 characters when a part is encoded', () => {
      const message = composeMessage(invitation({ text: 'é'.repeat(500), html: '字'.repeat(500) }));
      const body = message.slice(message.indexOf('\r\n\r\n'));
      for (const line of body.split('\r\n')) {
        if (!line.startsWith('--=_')) expect(line.length).toBeLessThanOrEqual(76);
      }
    });
  });

  it('plain text that needs quoted-printable is encoded as nodemailer encodes it', () => {
    const texts = [
      `a = b, with a line longer than seventy-six characters ${'x'.repeat(60)}\n`,
      `trailing spaces  \nand a tab\t\nand at the end ${'y'.repeat(80)} `,
      `a DEL \x7f and =3D already ${'z'.repeat(90)}\t`,
      `${'= '.repeat(60)}\r\n${' '.repeat(100)}`,
    ];
    for (const text of texts) {
      const message = composeMessage(invitation({ text }), { boundary: '=_b' });
      const part = message.split('--=_b\r\n')[1]!;
      expect(part).toContain('Content-Transfer-Encoding: quoted-printable');
      const canonical = text.replace(/\r\n|\r|\n/g, '\r\n');
      expect(part.slice(part.indexOf('\r\n\r\n') + 4, -2)).toBe(qp.wrap(qp.encode(canonical), 76));
    }
  });

  describe('boundary', () => {
    it('is different for every message and declared once', () => {
      const email = invitation();
      const boundaries = [composeMessage(email), composeMessage(email)].map(
        (message) => /boundary="([^"]+)"/.exec(message)![1],
      );
      expect(boundaries[0]).not.toBe(boundaries[1]);
      for (const boundary of boundaries) expect(boundary).toMatch(/^=_[0-9a-f-]{36}$/);
    });

    it('occurs only as the delimiters, even when a part holds it', async () => {
      const boundary = '=_fixed';
      const email = invitation({
        text: `Hello\n--${boundary}\nContent-Type: text/html\n\n<p>fake</p>\n--${boundary}--\n`,
        html: `<p>--${boundary}</p>`,
      });
      const message = composeMessage(email, { boundary });
      const delimiters = message.split('\r\n').filter((line) => line.includes(boundary));
      expect(delimiters).toEqual([
        ` boundary="${boundary}"`,
        `--${boundary}`,
        `--${boundary}`,
        `--${boundary}--`,
      ]);
      const parsed = await parse(message);
      expect(parsed.text).toBe(email.text);
      expect(parsed.html).toBe(email.html);
      expect(parsed.attachments).toEqual([]);
    });
  });

  it('chooses 7bit for short ASCII lines, quoted-printable for Latin, base64 for Chinese', async () => {
    const encodings = (message: string) =>
      [...message.matchAll(/^Content-Transfer-Encoding: (.+)\r$/gm)].map((m) => m[1]);
    const plain = invitation({ text: 'Hello\n', html: '<p>Hello</p>' });
    const latin = invitation({ text: 'Grüße aus Köln\n', html: '<p>Grüße aus Köln</p>' });
    const chinese = invitation({ text: '你好，世界\n', html: '<p>你好，世界</p>' });
    expect(encodings(composeMessage(plain))).toEqual(['7bit', '7bit']);
    expect(encodings(composeMessage(latin))).toEqual(['quoted-printable', 'quoted-printable']);
    expect(encodings(composeMessage(chinese))).toEqual(['base64', 'base64']);
    for (const email of [plain, latin, chinese]) {
      const parsed = await parse(composeMessage(email));
      expect([parsed.text, parsed.html]).toEqual([email.text, email.html]);
    }
  });
});

describe('transports', () => {
  let directory: string;
  let smtp: TestSmtp;

  beforeAll(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-mime-'));
    smtp = await startSmtp();
  });
  afterAll(async () => {
    fs.rmSync(directory, { recursive: true, force: true });
    await smtp.close();
  });

  it("the file transport appends each message to the day's mbox, LF line ends, in a directory it makes", async () => {
    const mailDir = path.join(directory, 'mail');
    const clock = () => Date.UTC(2026, 10, 3, 9, 5, 7);
    const transport = fileTransport(mailDir, clock);
    // A body line that starts with "From " (or ">From ") would read as the next message's
    // separator: mboxrd escapes it, and the reader takes the escape off.
    const first = invitation({ to: 'ann@bücher.example' });
    const second = invitation({
      id: '01KAXZ6Y3T0000000000000001',
      text: 'Hello,\nFrom the team\n>From the archive\n',
    });
    expect(await transport.send([first, second])).toEqual([{ sent: true }, { sent: true }]);
    expect(fs.readdirSync(mailDir)).toEqual(['2026-11-03.mbox']);
    const raw = fs.readFileSync(path.join(mailDir, '2026-11-03.mbox'), 'utf8');
    expect(raw).not.toContain('\r');
    expect(raw.match(/^From .*$/gm)).toEqual([
      'From MAILER-DAEMON Tue Nov  3 09:05:07 2026',
      'From MAILER-DAEMON Tue Nov  3 09:05:07 2026',
    ]);
    expect(raw).toMatch(/^>From the team$/m);
    expect(raw).toMatch(/^>>From the archive$/m);
    const messages = readMbox(path.join(mailDir, '2026-11-03.mbox'));
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/^To: ann@xn--bcher-kva\.example$/m);
    for (const [i, email] of [first, second].entries()) {
      const parsed = await parse(messages[i]!);
      expect([parsed.messageId, parsed.subject, parsed.text, parsed.html]).toEqual([
        `<${email.id}@roster>`,
        email.subject,
        email.text,
        email.html,
      ]);
    }
  });

  it('the file transport appends the messages of a batch that could be composed; one that could not fails alone', async () => {
    const mailDir = path.join(directory, 'batch');
    const transport = fileTransport(mailDir, () => Date.UTC(2026, 10, 4));
    // An address with no space to fold at, far past 998 octets: there is no header for it.
    const unsendable = invitation({ to: `${'a'.repeat(1200)}@acme.test` });
    const outcomes = await transport.send([invitation(), unsendable, invitation({ id: 'x2' })]);
    expect(outcomes[0]).toEqual({ sent: true });
    expect(outcomes[1]).toMatchObject({ sent: false, permanent: false });
    expect(outcomes[2]).toEqual({ sent: true });
    const messages = readMbox(path.join(mailDir, '2026-11-04.mbox'));
    expect(messages.map((message) => /^Message-ID: (.*)$/m.exec(message)?.[1])).toEqual([
      '<01KAXZ6Y3T0000000000000000@roster>',
      '<x2@roster>',
    ]);
  });

  it('when the append fails, every message of the batch fails with its error', async () => {
    // The directory's path is taken by a file: nothing can be written under it.
    const blocked = path.join(directory, 'blocked');
    fs.writeFileSync(blocked, '');
    const outcomes = await fileTransport(blocked).send([invitation(), invitation({ id: 'x2' })]);
    expect(outcomes).toHaveLength(2);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ sent: false, permanent: false });
      expect((outcome as { error: string }).error).toMatch(/ENOTDIR|EEXIST/);
    }
  });

  it('the SMTP transport sends the message, its envelope the addresses of its headers', async () => {
    const transport = smtpTransport(smtp.url);
    try {
      const email = invitation({
        from: 'Zoë <people@bücher.example>',
        to: 'ann@bücher.example',
        subject: 'Grüße',
      });
      expect(await transport.send([email])).toEqual([{ sent: true }]);
      // smtp-server reads a punycoded envelope address back into Unicode.
      const [mail] = await smtp.waitFor((m) => m.to.includes('ann@bücher.example'));
      expect(mail!.from).toBe('people@bücher.example');
      expect(mail!.raw).toMatch(/^To: ann@xn--bcher-kva\.example\r$/m);
      expect(mail!.subject).toBe('Grüße');
      expect(mail!.text).toBe(email.text);
      expect(mail!.html).toBe(email.html);
      expect(mail!.raw).toMatch(/^Message-ID: <01KAXZ6Y3T0000000000000000@roster>\r$/m);

      const utf8 = invitation({ id: '01KAXZ6Y3T0000000000000001', to: 'jörg@bücher.example' });
      expect(await transport.send([utf8])).toEqual([{ sent: true }]);
      const [local] = await smtp.waitFor((m) => m.to.includes('jörg@bücher.example'));
      expect(local!.raw).toMatch(/^To: jörg@bücher\.example\r$/m);
    } finally {
      transport.close();
    }
  });
});
