/**
 * Reads a V8 CPU profile (node --cpu-prof) and lists where the time went: the functions with
 * the most self time, and the same time grouped by package (pino, kysely, fastify...).
 *
 * Usage: node --import tsx bench/profile.ts <file.cpuprofile> [top]
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** `node_modules/<package>` for dependencies, `src/<folder>` for Roster, else the node part. */
function owner(url: string): string {
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1]!;
  const ours = /\/(?:dist|src)\/([^/]+)/.exec(url);
  if (ours) return `roster ${ours[1]!.replace(/\.js$|\.ts$/, '')}`;
  if (url.startsWith('node:')) return url;
  return url === '' ? '(native / V8)' : url.split('/').slice(-2).join('/');
}

export function summariseProfile(file: string, top = 25): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfByNode = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let total = 0;
  for (const [id, micros] of selfByNode) {
    const frame = nodes.get(id)!.callFrame;
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    const group = frame.functionName.startsWith('(') ? frame.functionName : owner(frame.url);
    byOwner.set(group, (byOwner.get(group) ?? 0) + micros);
    total += micros;
  }
  const lines = (map: Map<string, number>, count: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(
        ([name, micros]) =>
          `${(micros / 1000).toFixed(0).padStart(8)} ms ${((100 * micros) / total).toFixed(1).padStart(5)}%  ${name}`,
      );
  return [
    `self time by package (${(total / 1e6).toFixed(1)} s sampled):`,
    ...lines(byOwner, 15),
    '',
    'self time by function:',
    ...lines(byFunction, top),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: profile.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(summariseProfile(file, top ? Number(top) : undefined));
}
