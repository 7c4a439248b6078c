/**
 * Every status a /v2 route answered anywhere in the suite must be one that /openapi.json
 * documents for that route. Each test server, as it closes, writes what its routes answered
 * (from its own /metrics) to test-output/answered-statuses.txt, emptied when a run starts;
 * `npm test` then runs this file, which compares them with the document (exit 1 on a gap).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    statusesFile: string;
  }
}

/**
 * `METHOD /v2/path/:param STATUS` for every response /openapi.json documents. A 405 answers a
 * method the path does not take, so no operation of that method can document it: a 405
 * documented on the path's operations stands for every method (`* /v2/path 405`).
 */
async function documentedStatuses(): Promise<Set<string>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-openapi-'));
  const server = await startServer(
    loadConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      ROSTER_DATA_DIR: dir,
      ROSTER_LOG_LEVEL: 'silent',
    }),
  );
  try {
    const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
    };
    const documented = new Set<string>();
    for (const [route, operations] of Object.entries(document.paths)) {
      const pattern = route.replace(/\{([^}]+)\}/g, ':$1');
      for (const [method, operation] of Object.entries(operations)) {
        for (const status of Object.keys(operation.responses ?? {})) {
          documented.add(`${method.toUpperCase()} ${pattern} ${status}`);
          if (status === '405') documented.add(`* ${pattern} 405`);
        }
      }
    }
    return documented;
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const FILE = path.resolve('test-output/answered-statuses.txt');

/** The global setup: a run starts with an empty file. */
export default function setup(project: TestProject) {
  fs.mkdirSync(path.dirname(FILE), { recursive: true });
  fs.writeFileSync(FILE, '');
  project.provide('statusesFile', FILE);
}

/** Run after the suite (npm test): the statuses answered but not documented. */
async function check(): Promise<number> {
  const answered = new Set(fs.readFileSync(FILE, 'utf8').split('\n').filter(Boolean));
  const documented = await documentedStatuses();
  const documentedAs = (answer: string) =>
    answer.endsWith(' 405') ? answer.replace(/^\S+/, '*') : answer;
  const missing = [...answered].filter((answer) => !documented.has(documentedAs(answer))).sort();
  if (missing.length > 0) {
    process.stderr.write(
      `/openapi.json does not document what these routes answered in the suite:\n  ${missing.join('\n  ')}\n`,
    );
    return 1;
  }
  process.stdout.write(
    `/openapi.json documents all ${answered.size} route statuses the suite saw\n`,
  );
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await check();
