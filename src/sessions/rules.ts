/** How long a web session lives. Pure decisions, no I/O. */

/** A session unused for this long ends. */
export const SESSION_IDLE_MS = 2 * 3600 * 1000;
/** A session ends this long after sign-in, however active. */
export const SESSION_ABSOLUTE_MS = 24 * 3600 * 1000;
/** last_seen_at is written at most this often, so that reading a page stays a read. */
export const SESSION_TOUCH_MS = 60 * 1000;

export interface SessionTimes {
  last_seen_at: number;
  expires_at: number;
}

export function isSessionLive(session: SessionTimes, now: number): boolean {
  return session.expires_at > now && session.last_seen_at + SESSION_IDLE_MS > now;
}

export function needsTouch(session: SessionTimes, now: number): boolean {
  return now - session.last_seen_at >= SESSION_TOUCH_MS;
}
