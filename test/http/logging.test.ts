/** Every line a request logs carries the request id its response carries. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRoster, type Caller, type TestRoster } from '../support/roster.js';
import { redactUrl } from '../../src/http/logging.js';

describe('request ids in the server log', () => {
  let roster: TestRoster;
  let admin: Caller;
  const lines: string[] = [];

  beforeAll(async () => {
    roster = await startRoster('sqlite', { logStream: (line) => void lines.push(line) });
    admin = await roster.newAccount();
  });
  afterAll(() => roster.close());

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

describe('redacting secret query values from logged URLs', () => {
  it.each([
    ['/invitations/accept?token=abc.def', '/invitations/accept?token=[redacted]'],
    ['/x?TOKEN=abc', '/x?TOKEN=[redacted]'],
    ['/x?%74oken=abc', '/x?%74oken=[redacted]'],
    ['/x?%74%6F%6B%65%6E=abc', '/x?%74%6F%6B%65%6E=[redacted]'],
    ['/x?%54oKeN=abc', '/x?%54oKeN=[redacted]'],
    ['/x?api%5Fkey=abc', '/x?api%5Fkey=[redacted]'],
    ['/x?k%65y=abc&key=def', '/x?k%65y=[redacted]&key=[redacted]'],
    ['/x?a=1&token=abc&b=2', '/x?a=1&token=[redacted]&b=2'],
    ['/x?token=abc&token=def', '/x?token=[redacted]&token=[redacted]'],
    ['/x?token==abc', '/x?token=[redacted]'],
    ['/x?a=1&&token=a%26b', '/x?a=1&&token=[redacted]'],
  ])('%s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });

  it('keeps every other parameter and the path as they were sent', () => {
    for (const url of [
      '/x',
      '/x?',
      '/x?tokens=1&mykey=2&a=%74oken',
      '/x?to%6Ben%3D=1',
      '/k?a=b#c',
    ]) {
      expect(redactUrl(url)).toBe(url);
    }
  });
});
