import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: [
      'test/support/global-setup.ts',
      'test/support/documented-statuses.ts',
      'test/support/build.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Test files mostly wait on servers, databases, browsers and child processes: two at a time
    // keep two cores busy, where vitest's default (one fewer than the cores) runs one on two.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    reporters: ['default'],
  },
});
