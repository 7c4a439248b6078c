/**
 * The delivery thread, as the outbox worker sees it. The worker reads and writes the outbox
 * (claims, the checks before a send, the marks); rendering, composing and sending each email
 * runs on a thread of its own (sender-thread.ts), so a burst of invitations, or a slow SMTP
 * server, costs the thread that answers requests only its database work.
 */
import { Worker } from 'node:worker_threads';
import type { RenderContext, TemplateData } from './templates.js';

/** An email to render and send. */
export interface Letter {
  id: string;
  from: string;
  to: string;
  data: TemplateData;
  context: RenderContext;
}

export type Outcome = { sent: true } | { sent: false; error: string; permanent: boolean };

/** Where the thread sends email: an SMTP server, or mailbox files in a directory. */
export type Destination = { smtpUrl: string } | { directory: string };

export interface Sender {
  /** Sends the letters at once; one outcome each, in order. */
  send(letters: Letter[]): Promise<Outcome[]>;
  close(): Promise<void>;
}

export interface Reply {
  batch: number;
  outcomes: Outcome[];
}

const compiled = import.meta.url.endsWith('.js');
const entry = new URL(`./sender-thread.${compiled ? 'js' : 'ts'}`, import.meta.url);

/**
 * The thread holds a batch of small letters at a time: a small heap, so that it adds little
 * to the server's memory (should it outgrow it, it stops, and its batch is retried).
 */
const resourceLimits = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 };

function spawn(destination: Destination): Worker {
  if (compiled) return new Worker(entry, { workerData: destination, resourceLimits });
  // From source (tests, `npm run dev`) the thread compiles TypeScript through tsx, as the
  // process does.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const code = `import(${tsx}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true, workerData: destination, resourceLimits });
}

/**
 * Starts the thread. Should it die (it never should: each send's error is its outcome), the
 * batches it held fail, their rows are retried with backoff like any failed send, and the
 * next batch starts a new thread.
 */
export function startSender(destination: Destination): Sender {
  let thread: Worker | undefined;
  let batches = 0;
  const waiting = new Map<number, { resolve(outcomes: Outcome[]): void; reject(e: Error): void }>();

  function failAll(error: Error): void {
    for (const batch of waiting.values()) batch.reject(error);
    waiting.clear();
  }

  function started(): Worker {
    if (thread) return thread;
    const worker = spawn(destination);
    worker.unref();
    worker.on('message', ({ batch, outcomes }: Reply) => {
      waiting.get(batch)?.resolve(outcomes);
      waiting.delete(batch);
    });
    worker.on('error', (error) => failAll(error));
    worker.on('exit', (code) => {
      if (thread === worker) thread = undefined;
      failAll(new Error(`the delivery thread stopped (exit code ${code})`));
    });
    return (thread = worker);
  }

  return {
    send(letters) {
      if (letters.length === 0) return Promise.resolve([]);
      const batch = ++batches;
      const worker = started();
      return new Promise<Outcome[]>((resolve, reject) => {
        waiting.set(batch, { resolve, reject });
        worker.postMessage({ batch, letters });
      });
    },
    async close() {
      const worker = thread;
      thread = undefined;
      await worker?.terminate();
    },
  };
}
