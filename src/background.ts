/** Work a server does by itself, on a timer: indexing, retention. */

export interface Background {
  /** No new run starts; waits for one under way. */
  stop(): Promise<void>;
}

/**
 * Runs `work` at once and then every `intervalMs`, never two runs at a time (a tick that finds
 * one under way is skipped). `work` is told whether stop() was called, to end a long run early;
 * it handles its own errors.
 */
export function runEvery(
  intervalMs: number,
  work: (stopped: () => boolean) => Promise<void>,
): Background {
  let stopped = false;
  let running: Promise<void> | undefined;
  function tick(): void {
    if (stopped || running) return;
    running = work(() => stopped).finally(() => {
      running = undefined;
    });
  }
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
