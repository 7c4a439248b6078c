/**
 * Password hashing with argon2id at the OWASP floor (m=19 MiB, t=2, p=1).
 * Hashing is bounded: at most HASH_CONCURRENCY run at once, the rest wait their turn,
 * so a burst of sign-ins or temporary-password creates cannot exhaust memory.
 */
import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

const OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id */,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
};
const HASH_CONCURRENCY = 2;

let running = 0;
const waiting: Array<() => void> = [];

async function bounded<T>(work: () => Promise<T>): Promise<T> {
  if (running >= HASH_CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

export function hashPassword(password: string): Promise<string> {
  return bounded(() => hash(password, OPTIONS));
}

let verifications = 0;

/** How many verifications this process has started: the unit of sign-in work, which tests count. */
export function verificationCount(): number {
  return verifications;
}

export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  verifications++;
  return bounded(() => verify(passwordHash, password).catch(() => false));
}

let dummyHash: Promise<string> | undefined;

/**
 * One verification against a hash of a random secret that is thrown away, with the same
 * parameters as every stored hash: the work of checking a password, where there is nothing to
 * check it against. Always false.
 */
export async function verifyNothing(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(32).toString('hex'));
  await verifyPassword(await dummyHash, password);
  return false;
}
