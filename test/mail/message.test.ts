/**
 * The messages the two transports write (src/mail/transport.ts), read back with mailparser:
 * headers, both parts and the link in each, whole on one line of the raw message; non-ASCII
 * names, subjects and addresses, line breaks in a name or subject, line lengths; the .eml files'
 * names; SMTP's envelope.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/mail/templates.js';
import {
  emlFileName,
  fileTransport,
  smtpTransport,
  type OutgoingEmail,
} from '../../src/mail/transport.js';
import { emlFiles, readEml } from '../support/eml.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';

const LINK = `http://roster.test/invitations/accept?token=${'Ab0_-'.repeat(8)}xyz`;
const NOW = Date.UTC(2026, 10, 3, 9, 5, 7);

function invitation(overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  const rendered = render(
    { template: 'invitation', tokenId: 'token', userId: 'user' },
    {
      link: LINK,
      userName: 'Grace Hopper',
      accountName: 'Acme',
      expiresAt: NOW + 7 * 24 * 3600 * 1000,
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

function addresses(field: AddressObject | AddressObject[] | undefined) {
  return [field ?? []].flat().flatMap((object) => object.value);
}

/** Every mailbox of an address field, those inside groups too. */
function mailboxes(field: AddressObject | AddressObject[] | undefined): string[] {
  return addresses(field).flatMap((entry) =>
    entry.group ? entry.group.map((member) => member.address) : [entry.address],
  ) as string[];
}

/** The header block's fields, folded lines joined to the line they continue (LF line ends). */
function headerFields(message: string): string[] {
  const block = message.slice(0, message.indexOf('\n\n'));
  return block.split(/\n(?![ \t])/);
}

const OUR_FIELDS = /^(From|To|Subject|Message-ID|Date|MIME-Version|Content-Type): /;

let directory: string;
let smtp: TestSmtp;

beforeAll(async () => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-message-'));
  smtp = await startSmtp();
});
afterAll(async () => {
  fs.rmSync(directory, { recursive: true, force: true });
  await smtp.close();
});

let files = 0;

/**
 * The message the file transport writes for `email`, as it reads back from its file: `raw` with
 * LF line ends (the file's are CRLF, checked below), and parsed.
 */
async function written(email: OutgoingEmail): Promise<{ raw: string; parsed: ParsedMail }> {
  const mailDir = path.join(directory, `one-${++files}`);
  const transport = fileTransport(mailDir, () => NOW);
  try {
    await transport.send(email);
  } finally {
    transport.close();
  }
  const [file, ...others] = emlFiles(mailDir);
  expect(others).toEqual([]);
  const eml = readEml(file!);
  expect(eml.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  return { raw: eml.replace(/\r\n/g, '\n'), parsed: await simpleParser(eml) };
}

describe('the message', () => {
  it('an invitation reads back with its headers, both parts, and the link in each', async () => {
    const email = invitation();
    const { raw, parsed } = await written(email);
    expect(addresses(parsed.from)).toEqual([{ name: 'Acme People', address: 'people@acme.test' }]);
    expect(addresses(parsed.to)).toEqual([{ name: '', address: 'grace@example.com' }]);
    expect(parsed.subject).toBe("You're invited to Acme");
    expect(parsed.messageId).toBe('<01KAXZ6Y3T0000000000000000@roster>');
    expect(parsed.date).toBeInstanceOf(Date);
    expect(parsed.headers.get('mime-version')).toBe('1.0');
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(parsed.text).toBe(email.text);
    expect(parsed.html).toBe(email.html);
    expect(parsed.text).toContain(LINK);
    expect(parsed.html).toContain(`href="${LINK}"`);
    expect(parsed.attachments).toEqual([]);
    expect(headerFields(raw).every((line) => OUR_FIELDS.test(line))).toBe(true);
    const parts = [...raw.matchAll(/^Content-Type: (text\/\w+); charset=utf-8$/gm)];
    expect(parts.map((part) => part[1])).toEqual(['text/plain', 'text/html']);
  });

  it('the link can be copied from the raw message: whole, on one line, in both parts', async () => {
    // A link longer than a quoted-printable line (76) that has an `=` in it, as every link does.
    expect(LINK.length).toBeGreaterThan(76);
    const { raw } = await written(invitation());
    const lines = raw.split('\n');
    expect(lines).toContain(LINK);
    expect(lines.filter((line) => line.includes(`href="${LINK}"`))).toHaveLength(1);
    expect(lines.filter((line) => line.includes(`<br>${LINK}</p>`))).toHaveLength(1);
    expect(raw).not.toMatch(/=\n|=3D/);
    expect(raw.match(/^Content-Transfer-Encoding: .*$/gm)).toEqual([
      'Content-Transfer-Encoding: 7bit',
      'Content-Transfer-Encoding: 7bit',
    ]);
  });

  it('text that is not ASCII is sent as 8bit UTF-8, its link as whole', async () => {
    const rendered = render(
      { template: 'invitation', tokenId: 'token', userId: 'user' },
      { link: LINK, userName: 'Zoë 李小龙 🚀', accountName: 'Société Générale', expiresAt: NOW },
    );
    const email = invitation(rendered);
    const { raw, parsed } = await written(email);
    expect(raw.match(/^Content-Transfer-Encoding: .*$/gm)).toEqual([
      'Content-Transfer-Encoding: 8bit',
      'Content-Transfer-Encoding: 8bit',
    ]);
    expect(raw).toContain('Hello Zoë 李小龙 🚀,');
    expect(raw.split('\n')).toContain(LINK);
    expect([parsed.text, parsed.html]).toEqual([email.text, email.html]);
  });

  describe('non-ASCII names, subjects and addresses read back as written', () => {
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
      [
        'an address with dots, a plus and an underscore',
        { to: 'ann.lee+roster_1@mail.acme-corp.test' },
        'Acme People',
      ],
      ['a non-ASCII domain in To', { to: 'ann@bücher.example' }, 'Acme People'],
      ['a non-ASCII domain in From', { from: 'Acme <people@straße.example>' }, 'Acme'],
      ['a non-ASCII local part', { to: 'jörg@bücher.example' }, 'Acme People'],
    ];

    // mailparser turns a punycoded domain back into Unicode, so the addresses read as given.
    it.each(cases)('%s', async (_label, change, name) => {
      const email = invitation(change);
      const { parsed } = await written(email);
      expect(parsed.subject).toBe(email.subject);
      expect(addresses(parsed.from)).toEqual([
        { name, address: email.from.slice(email.from.lastIndexOf('<') + 1, -1) },
      ]);
      expect(addresses(parsed.to)).toEqual([{ name: '', address: email.to }]);
      expect(parsed.text).toBe(email.text);
    });

    it('a non-ASCII domain is punycoded in the header; a non-ASCII local part keeps UTF-8', async () => {
      const punycoded = await written(invitation({ from: 'Acme <people@bücher.example>' }));
      expect(headerFields(punycoded.raw)).toContain('From: Acme <people@xn--bcher-kva.example>');
      const utf8 = await written(invitation({ to: 'jörg@bücher.example' }));
      expect(headerFields(utf8.raw)).toContain('To: jörg@bücher.example');
    });
  });

  it.each(['\r\n', '\n', '\r', '\u2028', '\u0085', '\u000b'].map((c) => [JSON.stringify(c), c]))(
    'a line break %s in a name or a subject starts no header of its own',
    async (_label, c) => {
      const email = invitation({
        from: `Acme${c}Bcc: evil@example.com${c} <people@acme.test>`,
        subject: `Hello${c}Bcc: evil@example.com${c}X-Injected: yes`,
      });
      const { raw, parsed } = await written(email);
      for (const line of headerFields(raw)) expect(line).toMatch(OUR_FIELDS);
      expect(parsed.headers.has('bcc')).toBe(false);
      expect(parsed.headers.has('x-injected')).toBe(false);
      expect(parsed.subject).toContain('Bcc: evil@example.com');
      expect(mailboxes(parsed.from)).toEqual(['people@acme.test']);
      expect(mailboxes(parsed.to)).toEqual(['grace@example.com']);
    },
  );

  it.each([
    ['the longest account name, one word', 'A'.repeat(255)],
    ['the longest account name, in Chinese', '字'.repeat(255)],
    // Escaped for HTML, a line of the HTML part passes 998 octets: that part is left to
    // nodemailer's own encoding, and the text part still carries the link whole.
    ['the longest account name of ampersands', '&'.repeat(255)],
  ])('%s: no line over 998 octets', async (_label, accountName) => {
    const rendered = render(
      { template: 'password_reset', tokenId: 'token', userId: 'user' },
      { link: LINK, userName: accountName, accountName, expiresAt: NOW },
    );
    const email = invitation(rendered);
    const { raw, parsed } = await written(email);
    const longest = Math.max(...raw.split('\n').map((line) => Buffer.byteLength(line)));
    expect(longest).toBeLessThanOrEqual(998);
    expect(parsed.subject).toBe(email.subject);
    expect([parsed.text, parsed.html]).toEqual([email.text, email.html]);
    expect(raw.split('\n')).toContain(LINK);
  });
});

describe('the .eml files', () => {
  it('writes each message to a file of its own, named by time and recipient, never overwriting one', async () => {
    const mailDir = path.join(directory, 'mail');
    const transport = fileTransport(mailDir, () => NOW);
    const first = invitation();
    const again = invitation({ id: '01KAXZ6Y3T0000000000000001', subject: 'Again' });
    const other = invitation({
      id: '01KAXZ6Y3T0000000000000002',
      to: 'jörg/..\\:*?<>|@bücher.example',
    });
    await transport.send(first);
    await transport.send(again);
    await transport.send(other);
    transport.close();
    expect(fs.readdirSync(mailDir).sort()).toEqual([
      '2026-11-03T09-05-07.000Z_grace@example.com.eml',
      '2026-11-03T09-05-07.000Z_grace@example.com_2.eml',
      '2026-11-03T09-05-07.000Z_j_rg_.._______@b_cher.example.eml',
    ]);
    const read = async (name: string) =>
      simpleParser(fs.readFileSync(path.join(mailDir, name), 'utf8'));
    expect((await read('2026-11-03T09-05-07.000Z_grace@example.com.eml')).subject).toBe(
      first.subject,
    );
    expect((await read('2026-11-03T09-05-07.000Z_grace@example.com_2.eml')).subject).toBe('Again');
  });

  it('names sort by the time they were written, and stay short', () => {
    const names = [
      emlFileName(Date.UTC(2026, 0, 2, 3, 4, 5, 6), 'b@example.com'),
      emlFileName(Date.UTC(2026, 0, 2, 3, 4, 5, 7), 'a@example.com'),
      emlFileName(Date.UTC(2026, 9, 1), 'a@example.com'),
    ];
    expect([...names].sort()).toEqual(names);
    expect(names[0]).toBe('2026-01-02T03-04-05.006Z_b@example.com.eml');
    expect(
      Buffer.byteLength(emlFileName(NOW, `${'x'.repeat(64)}@${'d'.repeat(189)}.com`)),
    ).toBeLessThan(255);
  });

  it('makes the directory again when it was removed while the server runs', async () => {
    const mailDir = path.join(directory, 'removed');
    const transport = fileTransport(mailDir, () => NOW);
    await transport.send(invitation());
    fs.rmSync(mailDir, { recursive: true });
    const again = await transport.send(invitation({ id: '01KAXZ6Y3T0000000000000003' }));
    transport.close();
    expect(again).toEqual({
      file: path.join(mailDir, '2026-11-03T09-05-07.000Z_grace@example.com.eml'),
    });
    expect(fs.readdirSync(mailDir)).toHaveLength(1);
  });

  it('a message that cannot be written fails its send', async () => {
    // The directory's path is taken by a file: nothing can be written under it.
    const blocked = path.join(directory, 'blocked');
    fs.writeFileSync(blocked, '');
    await expect(fileTransport(blocked).send(invitation())).rejects.toThrow(/ENOTDIR|EEXIST/);
  });
});

describe('SMTP', () => {
  it('sends the message, its envelope the addresses of its headers', async () => {
    const transport = smtpTransport(smtp.url);
    try {
      const email = invitation({
        from: 'Zoë <people@bücher.example>',
        to: 'ann@bücher.example',
        subject: 'Grüße',
      });
      await transport.send(email);
      // smtp-server reads a punycoded envelope address back into Unicode.
      const [mail] = await smtp.waitFor((m) => m.to.includes('ann@bücher.example'));
      expect(mail!.from).toBe('people@bücher.example');
      expect(mail!.raw).toMatch(/^To: ann@xn--bcher-kva\.example\r$/m);
      expect(mail!.subject).toBe('Grüße');
      expect(mail!.text).toBe(email.text);
      expect(mail!.html).toBe(email.html);
      expect(mail!.raw.split('\r\n')).toContain(LINK);
      expect(mail!.raw).toMatch(/^Message-ID: <01KAXZ6Y3T0000000000000000@roster>\r$/m);

      const utf8 = invitation({ id: '01KAXZ6Y3T0000000000000001', to: 'jörg@bücher.example' });
      await transport.send(utf8);
      const [local] = await smtp.waitFor((m) => m.to.includes('jörg@bücher.example'));
      expect(local!.raw).toMatch(/^To: jörg@bücher\.example\r$/m);
    } finally {
      transport.close();
    }
  });

  it('a refusal fails the send with the server’s answer and code', async () => {
    const transport = smtpTransport(smtp.url);
    smtp.onMessage = () => Object.assign(new Error('No such user here'), { responseCode: 550 });
    try {
      await expect(transport.send(invitation())).rejects.toMatchObject({
        responseCode: 550,
        message: expect.stringContaining('No such user here'),
      });
    } finally {
      smtp.onMessage = undefined;
      transport.close();
    }
  });
});
