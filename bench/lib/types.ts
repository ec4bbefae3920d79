// What the harness (scripts/bench.ts) hands to a load process and what comes back.

/** The traffic one measurement sends. Bodies and keys are built per request. */
export type Workload =
  /** GET requests cycling over a fixed list of paths. */
  | { kind: 'get'; paths: string[] }
  /** POST /orders with `lines` distinct random products, random customer, no idempotency key. */
  | { kind: 'create-order'; lines: number; productIds: number[]; customerIds: number[] }
  /** POST /orders with a key, then POST /orders/{id}/confirm with another key: two requests per flow. */
  | { kind: 'create-confirm'; productIds: number[]; customerIds: number[]; keyPrefix: string }
  /** POST /orchestrator/create-and-confirm-order with a fresh idempotency_key. */
  | { kind: 'orchestrate'; productIds: number[]; customerIds: number[]; keyPrefix: string };

export interface LoadSpec {
  /** Base URL of the part under load, e.g. http://127.0.0.1:41234 */
  url: string;
  connections: number;
  seconds: number;
  headers: Record<string, string>;
  workload: Workload;
  /** Processes whose CPU time is read from /proc before and after the load. */
  pids: Record<string, number>;
  timeoutSeconds?: number;
}

/** The direct-to-database measurement of the order write (bench/db-limit.ts). */
export interface DbLimitSpec {
  databaseUrl: string;
  connections: number;
  seconds: number;
  lines: number;
  productIds: number[];
  customerIds: number[];
  pids: Record<string, number>;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface RunResult {
  /** Responses (or committed transactions) counted during the run. */
  requests: number;
  durationSeconds: number;
  reqPerSec: number;
  /** Milliseconds, over every response whatever its status. */
  latencyMs: LatencySummary;
  statuses: Record<string, number>;
  non2xx: number;
  /** Connection errors, timeouts included (or failed transactions for the DB limit). */
  errors: number;
  timeouts: number;
  /** CPU microseconds used during the run by each sampled process; `loadgen` is the load process itself. */
  cpuMicros: Record<string, number>;
  cpuMicrosPerRequest: Record<string, number>;
  /** Busy share of all cores during the run, and the part of it no sampled process accounts for. */
  machineBusyPercent: number;
  otherBusyPercent: number;
  firstErrors: string[];
  /** Set by the harness: how long the system under test took to go idle after the load stopped. */
  settleMs?: number;
}
