/**
 * The compiled program (dist/), built once per test run for the tests that run it as operators
 * do (bin/roster.js, dist/main.js). Test files run in parallel: the first to ask builds, the
 * others wait for that build, so dist/ is never rewritten under a process reading it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { until } from './wait.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** Made by the file that builds (mkdir is atomic); holds `result` once the build ended. */
const BUILDING = path.resolve('test-output/build');
const RESULT = path.join(BUILDING, 'result');

/** The global setup: a run starts with nothing built. */
export default function setup() {
  fs.rmSync(BUILDING, { recursive: true, force: true });
}

/** Resolves once dist/ holds this run's build; throws with tsc's output if the build failed. */
export async function buildOnce(): Promise<void> {
  fs.mkdirSync(path.dirname(BUILDING), { recursive: true });
  let builder = true;
  try {
    fs.mkdirSync(BUILDING);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    builder = false;
  }
  if (builder) {
    try {
      await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT });
      fs.writeFileSync(RESULT, 'ok');
    } catch (error) {
      const output = (error as { stdout?: string }).stdout ?? String(error);
      fs.writeFileSync(RESULT, `npm run build failed:\n${output}`);
      throw error;
    }
    return;
  }
  await until(() => fs.existsSync(RESULT), 'the build of dist/ by another test file', 120_000);
  const result = fs.readFileSync(RESULT, 'utf8');
  if (result !== 'ok') throw new Error(result);
}
