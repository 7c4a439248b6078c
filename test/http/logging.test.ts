/**
 * Request loggers are made lazily (src/http/logging.ts): a line still carries the request id
 * the response carries, and nothing below the configured level is written.
 */
import Fastify from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { requestLogger } from '../../src/http/logging.js';
import { useRoster, type Caller } from '../support/roster.js';

describe('request logger', () => {
  it('writes at enabled levels only, with the bindings of the request', () => {
    const lines: string[] = [];
    const root = Fastify({
      logger: { level: 'warn', stream: { write: (l) => lines.push(l) } },
    }).log;
    const log = requestLogger(root, { reqId: 'request-1' }, {});
    log.info('not at warn');
    log.debug('nor this');
    log.warn({ detail: 1 }, 'written');
    log.child({ step: 'inner' }).error('from a child');
    expect(lines.map((line) => JSON.parse(line))).toMatchObject([
      { level: 40, reqId: 'request-1', detail: 1, msg: 'written' },
      { level: 50, reqId: 'request-1', step: 'inner', msg: 'from a child' },
    ]);
    expect(log.level).toBe('warn');
  });
});

describe('request ids in the server log', () => {
  const lines: string[] = [];
  const roster = useRoster('sqlite', { logStream: (line) => void lines.push(line) });
  let admin: Caller;

  beforeAll(async () => {
    admin = await roster.newAccount();
  });

  it("each request's lines carry the id of its x-request-id header", async () => {
    const response = await fetch(`${roster.url}/v2/users/bm90LWFuLWlk`, {
      headers: { authorization: `Bearer ${admin.key}` },
    });
    expect(response.status).toBe(404);
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const mine = lines.map((line) => JSON.parse(line)).filter((entry) => entry.reqId === id);
    expect(mine.map((entry) => entry.msg)).toEqual(['incoming request', 'request completed']);
    expect(mine[1]).toMatchObject({ res: { statusCode: 404 } });
  });
});
