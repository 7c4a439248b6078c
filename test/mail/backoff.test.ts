import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_WORKER_OPTIONS } from '../../src/mail/worker.js';

describe('backoffDelay', () => {
  const options = { backoffBaseMs: 2000, backoffMaxMs: 60_000 };

  it('waits the base delay after the first attempt, and doubles after each further one', () => {
    expect([1, 2, 3, 4, 5].map((attempts) => backoffDelay(attempts, options))).toEqual([
      2000, 4000, 8000, 16_000, 32_000,
    ]);
  });

  it('never waits longer than the maximum', () => {
    expect(backoffDelay(6, options)).toBe(60_000);
    expect(backoffDelay(50, options)).toBe(60_000);
    expect(backoffDelay(5000, options)).toBe(60_000);
  });

  it('treats zero attempts like one', () => {
    expect(backoffDelay(0, options)).toBe(2000);
  });

  it('with the defaults, the last retry comes within a few minutes, and never more than an hour apart', () => {
    const { maxAttempts } = DEFAULT_WORKER_OPTIONS;
    const delays = Array.from({ length: maxAttempts - 1 }, (_, i) =>
      backoffDelay(i + 1, DEFAULT_WORKER_OPTIONS),
    );
    expect(delays.every((delay) => delay <= 3600_000)).toBe(true);
    expect(delays.reduce((sum, delay) => sum + delay, 0)).toBeLessThan(10 * 60_000);
  });
});
