/**
 * Every package a production install brings (`npm ci --omit=dev`: package-lock.json's entries
 * not marked dev) declares support for the Node.js versions the README names, so an operator on
 * the oldest of them gets no EBADENGINE warning and no package that expects a newer runtime.
 */
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface LockedPackage {
  version?: string;
  dev?: boolean;
  engines?: { node?: string } | string[];
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
};
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockedPackage>;
};

/** The oldest Node.js major Roster supports: package.json's engines, which the README repeats. */
const oldestMajor = semver.minVersion(manifest.engines.node)!.major;

function nodeRange(entry: LockedPackage): string | undefined {
  return Array.isArray(entry.engines) ? undefined : entry.engines?.node;
}

describe('Node.js versions', () => {
  it('the README names the version package.json declares', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`Node.js ≥ ${oldestMajor}`);
  });

  it('every run-time dependency, direct or not, allows the oldest supported Node.js major', () => {
    const production = Object.entries(lock.packages).filter(
      ([location, entry]) => location.startsWith('node_modules/') && !entry.dev,
    );
    expect(production.length).toBeGreaterThan(20);
    const refusing = production
      .filter(([, entry]) => {
        const range = nodeRange(entry);
        return range !== undefined && !semver.intersects(range, `^${oldestMajor}`);
      })
      .map(([location, entry]) => `${location}@${entry.version} wants node ${nodeRange(entry)}`);
    expect(refusing).toEqual([]);
  });
});
