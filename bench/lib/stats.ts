import type { LatencySummary } from './types';

/** A growable list of latencies in milliseconds (fractional, unlike autocannon's 1 ms histogram). */
export class LatencyRecorder {
  private values = new Float64Array(1 << 16);
  private count = 0;

  record(milliseconds: number): void {
    if (this.count === this.values.length) {
      const larger = new Float64Array(this.values.length * 2);
      larger.set(this.values);
      this.values = larger;
    }
    this.values[this.count++] = milliseconds;
  }

  summary(): LatencySummary {
    const sorted = this.values.slice(0, this.count).sort();
    const at = (fraction: number) =>
      sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
    let sum = 0;
    for (const value of sorted) sum += value;
    return {
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: sorted.length === 0 ? 0 : sorted[sorted.length - 1]!,
      mean: sorted.length === 0 ? 0 : sum / sorted.length,
    };
  }
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const randomItem = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

/** `count` distinct items in ascending order (partial Fisher–Yates on a copy). */
export function randomDistinct(items: readonly number[], count: number): number[] {
  const pool = [...items];
  const picked: number[] = [];
  for (let index = 0; index < Math.min(count, pool.length); index++) {
    const swap = index + Math.floor(Math.random() * (pool.length - index));
    [pool[index], pool[swap]] = [pool[swap]!, pool[index]!];
    picked.push(pool[index]!);
  }
  return picked.sort((a, b) => a - b);
}
