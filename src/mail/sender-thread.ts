/**
 * The delivery thread (see sender.ts): renders, composes and sends each letter it is given,
 * and answers each batch with one outcome per letter.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { render } from './templates.js';
import { failed, fileTransport, smtpTransport, type OutgoingEmail } from './transport.js';
import type { Destination, Letter, Outcome, Reply } from './sender.js';

const destination = workerData as Destination;
const transport =
  'smtpUrl' in destination
    ? smtpTransport(destination.smtpUrl)
    : fileTransport(destination.directory);

/** The batch's emails: each rendered, or why not. */
function rendered(letters: Letter[]): (OutgoingEmail | Outcome)[] {
  return letters.map(({ id, from, to, data, context }) => {
    try {
      return { id, from, to, ...render(data, context) };
    } catch (error) {
      return failed(error);
    }
  });
}

parentPort!.on('message', async ({ batch, letters }: { batch: number; letters: Letter[] }) => {
  const emails = rendered(letters);
  const toSend = emails.filter((email): email is OutgoingEmail => 'id' in email);
  const sent = (await transport.send(toSend)).values();
  const outcomes = emails.map((email) => ('id' in email ? sent.next().value! : email));
  parentPort!.postMessage({ batch, outcomes } satisfies Reply);
});
