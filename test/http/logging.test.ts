/** Every line a request logs carries the request id its response carries. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRoster, type Caller, type TestRoster } from '../support/roster.js';

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
