/**
 * Slow clients, on raw sockets over loopback: headers or a body sent a few bytes at a time, or
 * nothing at all, get a 408 (or the connection closed) once the configured timeouts pass, and
 * never hold a connection for as long as they like.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startRoster, type Caller, type TestRoster } from '../support/roster.js';

interface Outcome {
  /** What the server sent before it closed the connection. */
  received: string;
  /** Milliseconds from connecting to the close. */
  closedAfterMs: number;
}

/**
 * Connects, sends `start`, then `drip` every 200 ms until the server closes the connection
 * (or `giveUpMs` passes, which the assertions then catch).
 */
function slowClient(url: string, start: string, drip: string, giveUpMs = 10_000): Promise<Outcome> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const began = Date.now();
    const socket = net.connect(Number(port), hostname);
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ received, closedAfterMs: Date.now() - began });
    };
    const giveUp = setTimeout(finish, giveUpMs);
    socket.on('connect', () => {
      if (start) socket.write(start);
      if (drip) timer = setInterval(() => socket.writable && socket.write(drip), 200);
    });
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server closing on a client still writing is a reset or a broken pipe: that is the
      // close being tested.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') finish();
      else reject(error);
    });
    socket.on('close', finish);
  });
}

describe('request timeouts', () => {
  let roster: TestRoster;
  let admin: Caller;
  beforeAll(async () => {
    roster = await startRoster('sqlite', {
      env: { ROSTER_HEADERS_TIMEOUT: '1', ROSTER_REQUEST_TIMEOUT: '2' },
    });
    admin = await roster.newAccount();
  });
  afterAll(() => roster.close());

  it.concurrent('headers sent slowly get a 408 once the headers timeout passes', async () => {
    const outcome = await slowClient(
      roster.url,
      'GET /v2/users HTTP/1.1\r\nHost: roster.test\r\n',
      'X-Slow: a\r\n',
    );
    expect(outcome.received).toMatch(/^HTTP\/1\.1 408 /);
    // 1 s, checked every second.
    expect(outcome.closedAfterMs).toBeLessThan(3500);
  });

  it.concurrent(
    'a connection that sends nothing is closed once the headers timeout passes',
    async () => {
      const outcome = await slowClient(roster.url, '', '');
      expect(outcome.closedAfterMs).toBeLessThan(3500);
    },
  );

  it.concurrent('a body sent slowly gets a 408 once the request timeout passes', async () => {
    const body = JSON.stringify({ key_type: 'user', name: 'slow' });
    const outcome = await slowClient(
      roster.url,
      'POST /v2/api-keys HTTP/1.1\r\nHost: roster.test\r\n' +
        `Authorization: Bearer ${admin.key}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length + 1000}\r\n\r\n${body}`,
      ' ',
    );
    expect(outcome.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(outcome.closedAfterMs).toBeLessThan(4500);
  });

  it.concurrent(
    'an idle keep-alive connection longer than the headers timeout still serves its next request',
    async () => {
      const { hostname, port } = new URL(roster.url);
      const socket = net.connect(Number(port), hostname);
      const request = `GET /healthz HTTP/1.1\r\nHost: roster.test\r\n\r\n`;
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      await new Promise((resolve) => socket.on('connect', resolve));
      socket.write(request);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      socket.write(request);
      await new Promise((resolve) => setTimeout(resolve, 300));
      socket.destroy();
      expect(received.match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
    },
  );
});

it('by default a client has 10 s for its headers and 30 s for its whole request', () => {
  expect(loadConfig({}).timeouts).toEqual({
    headersMs: 10_000,
    requestMs: 30_000,
    keepAliveMs: 72_000,
  });
  expect(() => loadConfig({ ROSTER_HEADERS_TIMEOUT: '20', ROSTER_REQUEST_TIMEOUT: '10' })).toThrow(
    /ROSTER_REQUEST_TIMEOUT/,
  );
});
