/**
 * The delivery thread (see sender.ts): renders, composes and sends each letter it is given,
 * and answers each batch with one outcome per letter.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { render } from './templates.js';
import { fileTransport, isPermanentFailure, smtpTransport } from './transport.js';
import type { Destination, Letter, Outcome, Reply } from './sender.js';

const destination = workerData as Destination;
const transport =
  'smtpUrl' in destination
    ? smtpTransport(destination.smtpUrl)
    : fileTransport(destination.directory);

async function send(letter: Letter): Promise<Outcome> {
  try {
    const { id, from, to } = letter;
    await transport.send({ id, from, to, ...render(letter.data, letter.context) });
    return { sent: true };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { sent: false, error: message, permanent: isPermanentFailure(error) };
  }
}

parentPort!.on('message', async ({ batch, letters }: { batch: number; letters: Letter[] }) => {
  const reply: Reply = { batch, outcomes: await Promise.all(letters.map(send)) };
  parentPort!.postMessage(reply);
});
