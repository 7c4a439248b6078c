/** The processes under test: started, awaited until they answer, measured, and stopped. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export interface Service {
  name: string;
  pid: number;
  url: string;
  /** Everything the process wrote to stderr (kept short), for when it fails. */
  stderr(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswering(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no answer from ${url} in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface StartOptions {
  name: string;
  args: string[];
  env: Record<string, string>;
  port: number;
  /** A path that answers 2xx once the service is ready. */
  readyPath: string;
}

export async function startService(options: StartOptions): Promise<Service> {
  const child = spawn(process.execPath, options.args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitUntilAnswering(url + options.readyPath, child, 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${options.name} did not start: ${String(error)}\n${stderr}`, {
      cause: error,
    });
  }
  return {
    name: options.name,
    pid: child.pid!,
    url,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident set size of a process, in bytes (VmRSS in /proc/<pid>/status). */
export function residentBytes(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time a process has used so far (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * Waits until the process goes idle (at most one clock tick of CPU in 50 ms) and returns
 * how long it was still busy: work a load left behind (email to deliver, queued password
 * hashes, users to index) belongs to that load's time.
 */
export async function busySeconds(pid: number, maxSeconds = 60): Promise<number> {
  const started = performance.now();
  for (;;) {
    const windowStart = performance.now();
    const before = cpuSeconds(pid);
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (cpuSeconds(pid) - before <= 0.01) return (windowStart - started) / 1000;
    if ((performance.now() - started) / 1000 > maxSeconds) {
      throw new Error(`process ${pid} still busy after ${maxSeconds} s`);
    }
  }
}

export interface RssSampler {
  /** Largest RSS seen since the last reset, and the RSS at that reset. */
  take(): { maxBytes: number; startBytes: number };
  reset(): void;
  stop(): void;
}

/** Samples a process's RSS every `everyMs` and keeps the largest value seen. */
export function sampleRss(pid: number, everyMs = 50): RssSampler {
  let start = residentBytes(pid) ?? 0;
  let max = start;
  const timer = setInterval(() => {
    const now = residentBytes(pid);
    if (now !== undefined && now > max) max = now;
  }, everyMs);
  return {
    take: () => ({ maxBytes: Math.max(max, residentBytes(pid) ?? 0), startBytes: start }),
    reset() {
      start = residentBytes(pid) ?? 0;
      max = start;
    },
    stop: () => clearInterval(timer),
  };
}
