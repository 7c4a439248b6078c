/**
 * The expiry a person picks for a new API key on /account: a few fixed choices, so the page
 * needs no date picker and no time zone. No I/O here.
 */
const DAY_MS = 24 * 60 * 60 * 1000;

export interface KeyExpiryChoice {
  /** The form value: a number of days, or '' for a key that does not expire. */
  value: string;
  label: string;
}

export const KEY_EXPIRY_CHOICES: readonly KeyExpiryChoice[] = [
  { value: '', label: 'Never' },
  { value: '7', label: 'In 7 days' },
  { value: '30', label: 'In 30 days' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In a year' },
];

/**
 * When a key made at `now` with this choice expires: undefined for no expiry, 'unknown' for a
 * value that is not one of the choices.
 */
export function keyExpiresAt(choice: string, now: number): number | undefined | 'unknown' {
  if (!KEY_EXPIRY_CHOICES.some((c) => c.value === choice)) return 'unknown';
  return choice === '' ? undefined : now + Number(choice) * DAY_MS;
}
