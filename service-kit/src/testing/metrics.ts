import { TEST_AUTH } from './auth';
import type { HttpClient } from './http';

/** Every sample of a scrape: `name{label="value",…}` (labels sorted by name) → value. */
export type MetricSamples = Map<string, number>;

/** The key of one series in MetricSamples: the name, then its labels sorted by name. */
export function seriesKey(name: string, labels: Record<string, string | number> = {}): string {
  const pairs = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, value]) => `${label}="${value}"`);
  return pairs.length > 0 ? `${name}{${pairs.join(',')}}` : name;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Reads the Prometheus text exposition format (0.0.4); comments and blank lines are skipped. */
export function parsePrometheusText(text: string): MetricSamples {
  const samples: MetricSamples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`Not a Prometheus sample line: ${line}`);
    const [, name, labelText = '', value] = match;
    const labels = Object.fromEntries([...labelText.matchAll(LABEL)].map(([, label, text]) => [label, text]));
    samples.set(seriesKey(name!, labels as Record<string, string>), Number(value));
  }
  return samples;
}

/** Scrapes GET /metrics with the service token; throws unless it answers 200. */
export async function scrapeMetrics(client: HttpClient): Promise<MetricSamples> {
  const response = await client.get('/metrics', { token: TEST_AUTH.serviceToken });
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}: ${response.text}`);
  return parsePrometheusText(response.text);
}

/**
 * What moved between two scrapes, for the series of the metrics `names` (a histogram's
 * `_count` and `_sum` are names of their own): series key → change, leaving out the
 * series that did not move, so a test can say exactly what moved and that nothing else did.
 */
export function metricChanges(
  before: MetricSamples,
  after: MetricSamples,
  names: string[],
): Record<string, number> {
  const changes: Record<string, number> = {};
  for (const [key, value] of after) {
    const name = key.split('{')[0]!;
    if (!names.includes(name)) continue;
    const change = value - (before.get(key) ?? 0);
    if (change !== 0) changes[key] = change;
  }
  return changes;
}
