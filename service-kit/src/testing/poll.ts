/**
 * Asks `probe` again and again, `intervalMs` apart, until it returns a value (not undefined),
 * and resolves with it; rejects after `timeoutMs` with `what` and `lastSeen()` (what the last
 * ask saw), or at once with what `probe` threw. For the state of another process that
 * announces nothing and can only be asked — a database node's wsrep status, HAProxy's view of
 * its servers, an API serving again — never as a pause standing in for an event of our own.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; lastSeen?: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const seen = options.lastSeen?.();
      throw new Error(`${what}: not within ${options.timeoutMs} ms${seen ? `:\n${seen}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}
