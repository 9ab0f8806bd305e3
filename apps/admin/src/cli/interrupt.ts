/**
 * Ctrl-C handling for commands that run until interrupted (watch, bench):
 * the first SIGINT or SIGTERM asks them to stop cleanly; a second one ends
 * the process at once, as people expect when something does not stop.
 */

/** A stop request that long-running loops poll or await. */
export interface Interrupt {
  /** Whether a stop was requested. */
  readonly requested: boolean;
  /** Resolves when a stop is requested. */
  readonly promise: Promise<void>;
  /** Sleeps `ms`, waking early on a stop request. */
  sleep(ms: number): Promise<void>;
  /** Stops listening for signals. */
  dispose(): void;
}

/** Starts listening for SIGINT and SIGTERM. */
export function onInterrupt(): Interrupt {
  let requested = false;
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  const handler = (signal: NodeJS.Signals): void => {
    if (requested) process.exit(signal === 'SIGINT' ? 130 : 143);
    requested = true;
    resolve();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    get requested() {
      return requested;
    },
    promise,
    sleep: (ms) =>
      new Promise<void>((r) => {
        const t = setTimeout(r, ms);
        void promise.then(() => {
          clearTimeout(t);
          r();
        });
      }),
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
