// The two shapes every background job of the APIs takes (the event relay, the webhook
// dispatcher): a connection made in the background until it succeeds, and a cycle run again
// and again, never two at once.

/** The pause after the n-th failed connection attempt: 1 s, 2 s, 4 s, then CONNECT_RETRY_MAX_MS. */
const CONNECT_RETRY_FIRST_MS = 500;
const CONNECT_RETRY_MAX_MS = 5_000;

/** A connection attempt running in the background; stop() ends the retries. */
export interface BackgroundConnection {
  /** No further attempt; resolves once the one under way has ended (and closed what it opened). */
  stop(): Promise<void>;
}

/**
 * Calls `connect` now and, while it fails, again after 1 s, 2 s, 4 s, then every 5 s (the
 * broker may start after the API), until it succeeds: then `onConnected` gets the connection
 * (its client reconnects by itself after later outages). `onFailure` hears each failure with
 * how many there have been (1 for the first), to log it once rather than every few seconds.
 * A connection that succeeds after stop() is given to `close` instead.
 */
export function connectInBackground<Connection>(options: {
  connect: () => Promise<Connection>;
  onConnected: (connection: Connection) => void | Promise<void>;
  close: (connection: Connection) => Promise<void>;
  onFailure: (error: unknown, failures: number) => void;
}): BackgroundConnection {
  let isStopped = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let attempt: Promise<void> = Promise.resolve();
  const tryConnect = async () => {
    try {
      const connection = await options.connect();
      if (isStopped) return void (await options.close(connection));
      await options.onConnected(connection);
    } catch (error) {
      if (isStopped) return;
      failures += 1;
      options.onFailure(error, failures);
      timer = setTimeout(
        () => {
          attempt = tryConnect();
        },
        Math.min(CONNECT_RETRY_MAX_MS, CONNECT_RETRY_FIRST_MS * 2 ** Math.min(failures, 6)),
      );
      timer.unref();
    }
  };
  attempt = tryConnect();
  return {
    async stop() {
      isStopped = true;
      clearTimeout(timer);
      await attempt;
    },
  };
}

/** A cycle run again and again in the background. */
export interface BackgroundLoop<Result> {
  /** Runs one cycle now, after the one under way (cycles never overlap); rejects as the cycle does. */
  runOnce(): Promise<Result>;
  /** Schedules no further cycle; resolves once the one under way has ended. */
  stop(): Promise<void>;
}

/**
 * Runs `cycle` at once and then again: at once while `isBusy(result)` says more work waits,
 * else after `idleMs`. After a cycle, `housekeeping.run` (a clean-up) runs when
 * `housekeeping.everyMs` have passed since it last ran; it may end early once its `isStopped`
 * says so. A cycle or a clean-up that throws is
 * given to `onError`, and the loop goes on. The timers do not keep the process alive.
 */
export function startBackgroundLoop<Result>(options: {
  cycle: () => Promise<Result>;
  isBusy: (result: Result) => boolean;
  idleMs: number;
  housekeeping: { everyMs: number; run: (isStopped: () => boolean) => Promise<void> };
  onError: (error: unknown) => void;
}): BackgroundLoop<Result> {
  let isStopped = false;
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let lastHousekeepingAt = 0;
  const runOnce = () => {
    const run = running.then(options.cycle);
    running = run.catch(() => undefined);
    return run;
  };
  const loop = async () => {
    let isBusy = false;
    try {
      isBusy = options.isBusy(await runOnce());
      if (Date.now() - lastHousekeepingAt > options.housekeeping.everyMs) {
        lastHousekeepingAt = Date.now();
        await options.housekeeping.run(() => isStopped);
      }
    } catch (error) {
      options.onError(error);
    }
    if (isStopped) return;
    timer = setTimeout(() => void loop(), isBusy ? 0 : options.idleMs);
    timer.unref();
  };
  timer = setTimeout(() => void loop(), 0);
  timer.unref();
  return {
    runOnce,
    async stop() {
      isStopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
