// Turns the measurements of a run into aggregates (median over rounds), a text table and
// an SVG bar chart.
import { median } from './lib/stats';
import type { RunResult } from './lib/types';

/** `off`: a second copy of ours, started the same way with EVENTS=off (no outbox rows, no relay publishing). */
export type Target = 'ours' | 'off' | 'reference' | 'db';

export const TARGET_LABEL: Record<Target, string> = {
  ours: 'ours',
  off: 'ours, EVENTS=off',
  reference: 'reference',
  db: 'DB limit',
};

/** The least POST /orders throughput with events on, as a share of the same system with EVENTS=off. */
export const EVENTS_ON_OFF_TARGET = 0.9;

/** Processes whose CPU is reported per request, in table order. */
export const ROLES = ['customers', 'orders', 'orchestrator', 'mariadbd', 'loadgen'] as const;

export interface ScenarioInfo {
  id: string;
  title: string;
  connections: number;
  targets: Target[];
  /** Requests per logical operation (create + confirm is two). */
  requestsPerOperation?: number;
}

export interface Measurement {
  scenario: string;
  target: Target;
  round: number;
  result: RunResult;
}

export interface Aggregate {
  scenario: string;
  title: string;
  connections: number;
  target: Target;
  rounds: number;
  reqPerSec: number;
  reqPerSecMin: number;
  reqPerSecMax: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statuses: Record<string, number>;
  cpuMicrosPerRequest: Record<string, number>;
  otherBusyPercent: number;
  ratioToReference?: number;
  ratioToDbLimit?: number;
  /** Ours (events on) ÷ ours with EVENTS=off, where the scenario measured both. */
  ratioToEventsOff?: number;
}

export function aggregate(scenarios: ScenarioInfo[], measurements: Measurement[]): Aggregate[] {
  const rows: Aggregate[] = [];
  for (const scenario of scenarios) {
    for (const target of scenario.targets) {
      const runs = measurements
        .filter((m) => m.scenario === scenario.id && m.target === target)
        .map((m) => m.result);
      if (runs.length === 0) continue;
      const statuses: Record<string, number> = {};
      for (const run of runs) {
        for (const [status, count] of Object.entries(run.statuses))
          statuses[status] = (statuses[status] ?? 0) + count;
      }
      const roles = new Set(runs.flatMap((run) => Object.keys(run.cpuMicrosPerRequest)));
      rows.push({
        scenario: scenario.id,
        title: scenario.title,
        connections: scenario.connections,
        target,
        rounds: runs.length,
        reqPerSec: median(runs.map((run) => run.reqPerSec)),
        reqPerSecMin: Math.min(...runs.map((run) => run.reqPerSec)),
        reqPerSecMax: Math.max(...runs.map((run) => run.reqPerSec)),
        p50Ms: median(runs.map((run) => run.latencyMs.p50)),
        p99Ms: median(runs.map((run) => run.latencyMs.p99)),
        requests: runs.reduce((sum, run) => sum + run.requests, 0),
        errors: runs.reduce((sum, run) => sum + run.errors, 0),
        timeouts: runs.reduce((sum, run) => sum + run.timeouts, 0),
        non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
        statuses,
        cpuMicrosPerRequest: Object.fromEntries(
          [...roles].map((role) => [
            role,
            median(
              runs.map((run) => run.cpuMicrosPerRequest[role]).filter((v): v is number => v !== undefined),
            ),
          ]),
        ),
        otherBusyPercent: median(runs.map((run) => run.otherBusyPercent)),
      });
    }
  }
  for (const row of rows) {
    const sibling = (target: Target) => rows.find((r) => r.scenario === row.scenario && r.target === target);
    const reference = sibling('reference');
    const db = sibling('db');
    const off = sibling('off');
    if (row.target === 'ours' && reference) row.ratioToReference = row.reqPerSec / reference.reqPerSec;
    if (row.target === 'ours' && off) row.ratioToEventsOff = row.reqPerSec / off.reqPerSec;
    if (row.target !== 'db' && db) row.ratioToDbLimit = row.reqPerSec / db.reqPerSec;
  }
  return rows;
}

const fixed = (value: number | undefined, digits = 0) =>
  value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
const ms = (value: number) =>
  value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0);
const ratio = (value: number | undefined) => (value === undefined ? '' : `${value.toFixed(2)}×`);

export function renderTable(rows: Aggregate[]): string {
  const header = [
    'scenario',
    'conn',
    'system',
    'req/s',
    '±%',
    'p50 ms',
    'p99 ms',
    'err/tmo/non2xx',
    ...ROLES.map((role) => `µs ${role === 'orchestrator' ? 'orch' : role === 'customers' ? 'cust' : role}`),
    '÷ref',
    '÷DB',
    'other%',
  ];
  const lines = rows.map((row) => {
    const spread = row.reqPerSec > 0 ? (50 * (row.reqPerSecMax - row.reqPerSecMin)) / row.reqPerSec : NaN;
    return [
      row.title,
      String(row.connections),
      TARGET_LABEL[row.target],
      fixed(row.reqPerSec),
      fixed(spread),
      ms(row.p50Ms),
      ms(row.p99Ms),
      `${row.errors}/${row.timeouts}/${row.non2xx}`,
      ...ROLES.map((role) => fixed(row.cpuMicrosPerRequest[role])),
      ratio(row.ratioToReference),
      ratio(row.ratioToDbLimit),
      fixed(row.otherBusyPercent),
    ];
  });
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]!.length)),
  );
  const numeric = (column: number) => column >= 3;
  const format = (cells: string[]) =>
    cells
      .map((cell, column) =>
        numeric(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ');
  const rule = widths.map((width) => '─'.repeat(width)).join('  ');
  const body: string[] = [];
  let previous = '';
  for (const line of lines) {
    const key = `${line[0]}|${line[1]}`;
    if (previous && key !== previous) body.push('');
    body.push(format(line));
    previous = key;
  }
  return [format(header), rule, ...body].join('\n');
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Grouped horizontal bars, one group per scenario, each bar scaled to the longest of its group. */
export function renderSvg(rows: Aggregate[], subtitle: string): string {
  const colors: Record<Target, string> = {
    ours: '#2b6cb0',
    off: '#90cdf4',
    reference: '#a0aec0',
    db: '#38a169',
  };
  const groups = new Map<string, Aggregate[]>();
  for (const row of rows)
    groups.set(`${row.title} · ${row.connections} conn`, [
      ...(groups.get(`${row.title} · ${row.connections} conn`) ?? []),
      row,
    ]);
  const barHeight = 16;
  const labelWidth = 300;
  const barSpace = 420;
  const width = labelWidth + barSpace + 300;
  let y = 60;
  const parts: string[] = [];
  for (const [title, group] of groups) {
    parts.push(`<text x="10" y="${y + 12}" font-weight="bold">${escapeXml(title)}</text>`);
    y += 20;
    const max = Math.max(...group.map((row) => row.reqPerSec), 1);
    for (const row of group) {
      const length = Math.max(1, (row.reqPerSec / max) * barSpace);
      const extra = [
        row.ratioToReference === undefined ? '' : `${row.ratioToReference.toFixed(2)}× ref`,
        row.ratioToDbLimit === undefined ? '' : `${row.ratioToDbLimit.toFixed(2)}× DB`,
        row.ratioToEventsOff === undefined ? '' : `${row.ratioToEventsOff.toFixed(2)}× events off`,
      ]
        .filter(Boolean)
        .join(', ');
      parts.push(
        `<text x="${labelWidth - 8}" y="${y + 12}" text-anchor="end">${TARGET_LABEL[row.target]}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${length.toFixed(1)}" height="${barHeight}" fill="${colors[row.target]}"/>`,
        `<text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + 12}">${row.reqPerSec.toFixed(0)} req/s, p50 ${ms(row.p50Ms)} ms${extra ? ` (${extra})` : ''}</text>`,
      );
      y += barHeight + 4;
    }
    y += 12;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">npm run bench: throughput (req/s, median of rounds)</text>`,
    `<text x="10" y="42" fill="#555">${escapeXml(subtitle)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

// ───────────────────────────── the event relay ─────────────────────────────

/** One sample of the Orders API's outbox, taken once a second during a load (bench.ts `sampleOutbox`). */
export interface OutboxSample {
  /** Seconds since the sampling began (just before the load process started; the load begins a few hundred ms later). */
  t: number;
  /** Events written (outbox rows inserted) and published (published_at set) since the previous sample, per second. */
  writtenPerSec: number;
  publishedPerSec: number;
  /** Age of the oldest unpublished event, in seconds; 0 when none waits. */
  lagSeconds: number;
}

/** The relay under one measured load of ours (POST /orders, 1 line, 8 connections). */
export interface RelayRun {
  round: number;
  /** The load's duration, in seconds: the rates' denominator. */
  seconds: number;
  /** Events the load wrote (outbox rows inserted after it began), and events published during it. */
  written: number;
  published: number;
  writtenPerSec: number;
  publishedPerSec: number;
  /** Responses of the load, to give events per request. */
  requests: number;
  lagP50Seconds: number;
  lagMaxSeconds: number;
  /** Unpublished events when the load ended, and how long after it the outbox held none (null: not within the bound). */
  unpublishedAtEnd: number;
  drainSeconds: number | null;
  /** Unpublished events (left by an earlier load) waited for before this load, and how long. */
  backlogBefore: number;
  backlogWaitSeconds: number;
  samples: OutboxSample[];
}

export interface RelaySummary {
  rounds: number;
  writtenPerSec: number;
  publishedPerSec: number;
  eventsPerRequest: number;
  /** Over every sample of every round. */
  lagP50Seconds: number;
  lagMaxSeconds: number;
  /** Median and worst drain over the rounds; null when a round did not drain within the bound. */
  drainMedianSeconds: number | null;
  drainMaxSeconds: number | null;
}

export function summarizeRelay(runs: RelayRun[]): RelaySummary | undefined {
  if (runs.length === 0) return undefined;
  const lags = runs.flatMap((run) => run.samples.map((sample) => sample.lagSeconds));
  const drains = runs.map((run) => run.drainSeconds);
  const drained = drains.every((d): d is number => d !== null);
  return {
    rounds: runs.length,
    writtenPerSec: median(runs.map((run) => run.writtenPerSec)),
    publishedPerSec: median(runs.map((run) => run.publishedPerSec)),
    eventsPerRequest: median(runs.map((run) => (run.requests > 0 ? run.written / run.requests : NaN))),
    lagP50Seconds: lags.length > 0 ? median(lags) : NaN,
    lagMaxSeconds: lags.length > 0 ? Math.max(...lags) : NaN,
    drainMedianSeconds: drained ? median(drains) : null,
    drainMaxSeconds: drained ? Math.max(...drains) : null,
  };
}
