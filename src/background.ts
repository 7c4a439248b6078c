/** Work a server does by itself, on a timer or when woken: indexing, sealing, retention. */

export interface Background {
  /** Asks for a run soon (see runEvery's wakeDelayMs), or once more after the one under way. */
  wake(): void;
  /** No new run starts; waits for one under way. */
  stop(): Promise<void>;
}

/**
 * Runs `work` at once and then every `intervalMs`, never two runs at a time (a tick that finds
 * one under way is skipped). `work` is told whether stop() was called, to end a long run early;
 * it handles its own errors.
 *
 * wake() asks for a run `wakeDelayMs` from now (or, if one is under way then, right after it),
 * so the wakes of a busy moment come to one run that takes what they left.
 */
export function runEvery(
  intervalMs: number,
  work: (stopped: () => boolean) => Promise<void>,
  { wakeDelayMs = 0 }: { wakeDelayMs?: number } = {},
): Background {
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let waking: NodeJS.Timeout | undefined;
  function tick(): void {
    if (stopped || running) return;
    again = false;
    running = work(() => stopped).finally(() => {
      running = undefined;
      if (again) tick();
    });
  }
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return {
    wake() {
      if (stopped || waking) return;
      waking = setTimeout(() => {
        waking = undefined;
        if (running) again = true;
        else tick();
      }, wakeDelayMs);
      waking.unref();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(waking);
      await running;
    },
  };
}
