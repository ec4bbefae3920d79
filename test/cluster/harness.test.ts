import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, sql, type SQLQuery } from '@b2b/service-kit';
import {
  clusterBinaries,
  galeraNodeState,
  NO_GALERA_BINARIES,
  NO_HAPROXY,
  pollUntil,
  startGaleraCluster,
  startHaproxy,
  type GaleraCluster,
  type Haproxy,
} from '@b2b/service-kit/testing';

/**
 * Issue 22 §4: the cluster harness itself, on a 3-node MariaDB Galera cluster of its own
 * (started once for the whole file): every node Synced, a write on one node read causally on
 * another, a killed node rejoining by IST, quorum lost and regained, and HAProxy (single
 * writer, health-checked by scripts/galera-health.mjs) failing over when the writer dies.
 */
const binaries = clusterBinaries();
if (!binaries) console.warn(`test/cluster/harness.test.ts skipped: ${NO_GALERA_BINARIES}`);
else if (!binaries.haproxy) console.warn(`test/cluster/harness.test.ts, HAProxy test skipped: ${NO_HAPROXY}`);

const ERRNO_NOT_PREPARED = 1047; // WSREP has not yet prepared node for application use

/** Runs `queries` in order on one connection of its own to `url`; returns the last one's rows. */
async function onConnection(url: string, ...queries: SQLQuery[]): Promise<any[]> {
  const db = connectDatabase(url, { poolSize: 1, acquireTimeoutMs: 2_000, statementTimeoutMs: 5_000 });
  try {
    return await db.task(async (connection) => {
      let rows: any[] = [];
      for (const query of queries) rows = await connection.query(query);
      return rows;
    });
  } finally {
    await db.dispose().catch(() => undefined);
  }
}

const causalRead = sql`SET SESSION wsrep_sync_wait = 1`;

/** pollUntil, asking again also when an attempt fails (a node that is down refuses connections). */
function until<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  let lastError: unknown;
  return pollUntil(what, () => attempt().catch((error: unknown) => ((lastError = error), undefined)), {
    timeoutMs,
    intervalMs: 100,
    lastSeen: () => String(lastError),
  });
}

describe.skipIf(!binaries)('the Galera cluster harness (3 nodes on loopback)', () => {
  let cluster: GaleraCluster;
  let haproxy: Haproxy | undefined;
  let urls: string[];
  const timings: Record<string, number> = {};
  const fileStartedAt = Date.now();

  beforeAll(async () => {
    const startedAt = Date.now();
    cluster = await startGaleraCluster({ nodes: 3 });
    Object.assign(timings, cluster.timings);
    timings['cluster start (all Synced)'] = Date.now() - startedAt;
    const createdAt = Date.now();
    urls = await cluster.createDatabase('harness');
    timings['create database + migrations'] = Date.now() - createdAt;
    await onConnection(
      urls[0]!,
      sql`CREATE TABLE harness_rows (id INT PRIMARY KEY AUTO_INCREMENT, label VARCHAR(64) NOT NULL) ENGINE = InnoDB`,
    );
    await cluster.waitUntilSettled();
  }, 180_000);

  afterAll(async () => {
    await haproxy?.stop();
    await cluster?.destroy();
    timings['whole file'] = Date.now() - fileStartedAt;
    console.log(
      `cluster harness timings (ms):\n${Object.entries(timings)
        .map(([phase, ms]) => `  ${phase}: ${ms}`)
        .join('\n')}`,
    );
  }, 60_000);

  it('when the cluster has started, then all 3 nodes are Synced in one Primary component of 3', async () => {
    for (const node of cluster.nodes) {
      const state = await node.state();
      expect(state, node.name).toMatchObject({
        ready: true,
        localState: 4,
        clusterSize: 3,
        clusterStatus: 'Primary',
      });
      expect(node.pid).toBeGreaterThan(0);
    }
    // Node 1 was bootstrapped; the joiners got their data by a full copy (rsync SST).
    expect(cluster.nodes[1]!.stateTransfer()).toBe('SST');
    expect(cluster.nodes[2]!.stateTransfer()).toBe('SST');
  });

  it('when a row is written on node 1, then a causal read on node 3 sees it', async () => {
    await onConnection(urls[0]!, sql`INSERT INTO harness_rows (label) VALUES ('written on node 1')`);
    const rows = await onConnection(
      urls[2]!,
      causalRead,
      sql`SELECT label FROM harness_rows WHERE label = 'written on node 1'`,
    );
    expect(rows).toEqual([{ label: 'written on node 1' }]);
  });

  it('when node 2 is killed and restarted after writes elsewhere, then it rejoins by IST from its wsrep-recover position and has the writes', async () => {
    const node = cluster.nodes[1]!;
    await cluster.waitUntilSettled();
    const killedPid = node.pid;
    await node.kill();
    expect(node.pid).toBeUndefined();
    for (let index = 0; index < 5; index += 1) {
      await onConnection(
        urls[0]!,
        sql`INSERT INTO harness_rows (label) VALUES (${`while node 2 was down ${index}`})`,
      );
    }
    const startedAt = Date.now();
    await node.start();
    timings['node2 rejoin after kill (IST)'] = Date.now() - startedAt;
    expect(node.pid).not.toBe(killedPid);
    expect(node.recoveredPosition).toMatch(/^[0-9a-f-]{36}:\d+$/);
    const log = node.startOutput();
    expect(log).toContain(`--wsrep-start-position=${node.recoveredPosition}`);
    expect(log).toMatch(/Receiving IST: \d+ writesets/);
    expect(log).toContain('IST received');
    expect(log).not.toContain('rsync SST completed');
    expect(node.stateTransfer()).toBe('IST');
    const rows = await onConnection(
      node.url,
      causalRead,
      sql`SELECT COUNT(*) AS count FROM harness.harness_rows WHERE label LIKE 'while node 2 was down%'`,
    );
    expect(Number(rows[0].count)).toBe(5);
    await cluster.waitUntilSynced();
  }, 60_000);

  it('when 2 of the 3 nodes are killed, then the survivor answers SELECT 1 but errno 1047 on tables; when they are restarted, then the cluster is Primary again with every write', async () => {
    const [survivor, second, third] = cluster.nodes as [
      (typeof cluster.nodes)[0],
      (typeof cluster.nodes)[0],
      (typeof cluster.nodes)[0],
    ];
    await cluster.waitUntilSettled();
    const killedAt = Date.now();
    await Promise.all([second.kill(), third.kill()]);
    const lost = await until('the survivor non-Primary', 20_000, async () => {
      const state = await survivor.state();
      return state.clusterStatus === 'non-Primary' ? state : undefined;
    });
    timings['quorum lost after the kills'] = Date.now() - killedAt;
    expect(lost).toMatchObject({ ready: false, clusterSize: 1 });
    expect(await onConnection(survivor.url, sql`SELECT 1 AS one`)).toEqual([{ one: 1 }]);
    const refused = await onConnection(urls[0]!, sql`SELECT COUNT(*) FROM harness_rows`).then(
      () => undefined,
      (error: { errno?: number }) => error,
    );
    expect(refused?.errno).toBe(ERRNO_NOT_PREPARED);

    const recovery = await cluster.recoverQuorum();
    timings['quorum recovery (restart 2 nodes → Primary, all Synced)'] = recovery.ms;
    // Both killed nodes saved the last Primary view: once all three meet, it re-forms by itself.
    expect(recovery).toMatchObject({ restarted: ['node2', 'node3'], bootstrapped: undefined });
    for (const node of cluster.nodes) {
      expect(await galeraNodeState(node.url), node.name).toMatchObject({
        ready: true,
        localState: 4,
        clusterSize: 3,
        clusterStatus: 'Primary',
      });
    }
    await onConnection(urls[2]!, sql`INSERT INTO harness_rows (label) VALUES ('after quorum recovery')`);
    const rows = await onConnection(
      urls[0]!,
      causalRead,
      sql`SELECT COUNT(*) AS count FROM harness_rows WHERE label IN ('written on node 1', 'after quorum recovery')`,
    );
    expect(Number(rows[0].count)).toBe(2);
  }, 90_000);

  it('when the 2 killed nodes also lost their saved view (gvwstate.dat), then recoverQuorum bootstraps the survivor (pc.bootstrap=YES) and they join it', async () => {
    const [survivor, second, third] = cluster.nodes as [
      (typeof cluster.nodes)[0],
      (typeof cluster.nodes)[0],
      (typeof cluster.nodes)[0],
    ];
    await cluster.waitUntilSettled();
    await Promise.all([second.kill(), third.kill()]);
    await Promise.all(
      [second, third].map((node) => rm(path.join(node.dataDirectory, 'gvwstate.dat'), { force: true })),
    );
    await until('the survivor non-Primary', 20_000, async () =>
      (await survivor.state()).clusterStatus === 'non-Primary' ? true : undefined,
    );
    const recovery = await cluster.recoverQuorum({ waitBeforeBootstrapMs: 5_000 });
    timings['quorum recovery by pc.bootstrap (5 s wait included)'] = recovery.ms;
    expect(recovery).toMatchObject({ restarted: ['node2', 'node3'], bootstrapped: 'node1' });
    const rows = await onConnection(
      urls[1]!,
      causalRead,
      sql`SELECT COUNT(*) AS count FROM harness_rows WHERE label = 'after quorum recovery'`,
    );
    expect(Number(rows[0].count)).toBe(1);
  }, 90_000);

  it.skipIf(!binaries?.haproxy)(
    'when HAProxy fronts the cluster, then connections land on node 1; when node 1 is killed, then they land on a backup within seconds',
    async () => {
      const [writer, backup] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
      const startedAt = Date.now();
      haproxy = await startHaproxy(cluster);
      await haproxy.waitForStatus({ node1: 'UP', node2: 'UP', node3: 'UP' });
      timings['haproxy + health agents up'] = Date.now() - startedAt;
      for (const agent of haproxy.agents) {
        const answer = await fetch(agent.url);
        expect(answer.status, agent.node.name).toBe(200);
        expect(await answer.text()).toBe('synced\n');
      }
      const through = `${haproxy.url}/harness`;
      const [first] = await onConnection(through, sql`SELECT @@port AS port`);
      expect(Number(first.port)).toBe(writer.port);

      const killedAt = Date.now();
      await writer.kill();
      const port = await until('a connection through HAProxy on a backup', 15_000, async () => {
        const [row] = await onConnection(through, sql`SELECT @@port AS port`);
        return Number(row.port) === writer.port ? undefined : Number(row.port);
      });
      timings['haproxy failover to a backup'] = Date.now() - killedAt;
      expect(port).toBe(backup.port);
      await haproxy.waitForStatus({ node1: 'DOWN', node2: 'UP' });
      expect(Date.now() - killedAt).toBeLessThan(10_000);
      // The backup serves writes once the two survivors have formed a Primary component.
      await until('a write through HAProxy', 15_000, () =>
        onConnection(through, sql`INSERT INTO harness_rows (label) VALUES ('through HAProxy')`),
      );
      timings['haproxy write after failover'] = Date.now() - killedAt;
      const agentAnswer = await fetch(haproxy.agents[0]!.url);
      expect(agentAnswer.status).toBe(503);
      expect(await agentAnswer.text()).toMatch(/^unreachable/);
    },
    60_000,
  );
});
