import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../src/upstream';

const policy = { retries: 5, baseDelayMs: 100, maxDelayMs: 1_000 };

describe('retry backoff', () => {
  it('when the random draw is at its top, then the delay doubles per attempt up to the cap', () => {
    const highest = () => 1;
    expect([0, 1, 2, 3, 4, 5].map((attempt) => backoffDelayMs(attempt, policy, highest))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it('when the random draw varies, then the delay is jittered anywhere from 0 to the ceiling', () => {
    expect(backoffDelayMs(2, policy, () => 0)).toBe(0);
    expect(backoffDelayMs(2, policy, () => 0.5)).toBe(200);
  });
});
