import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/**
 * Runs once before any suite: builds the orchestrator bundle that several suites serve
 * under serverless-offline, so no two suites rebuild it while another one loads it; and
 * gives the API processes the suites start (they inherit this environment) JetStream
 * streams and subjects of this run's own, deleted at the end, so a test run never publishes
 * into the machine's B2B_ORDERS or B2B_CUSTOMERS.
 */
export default function setup(): () => Promise<void> {
  execFileSync('node', ['build.mjs'], {
    cwd: path.resolve(import.meta.dirname, '../lambda-orchestrator'),
    stdio: 'inherit',
  });
  const run = randomBytes(4).toString('hex');
  const streams = [`TEST_${run}_EVENTS`];
  process.env.EVENTS_STREAM = process.env.CUSTOMERS_EVENTS_STREAM = streams[0];
  process.env.EVENTS_SUBJECT_PREFIX = process.env.CUSTOMERS_EVENTS_SUBJECT_PREFIX = `test.${run}`;
  return async () => {
    const connection = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' }).catch(
      () => undefined,
    );
    if (!connection) return;
    const manager = await jetstreamManager(connection);
    for (const stream of streams) await manager.streams.delete(stream).catch(() => undefined);
    await connection.close();
  };
}
