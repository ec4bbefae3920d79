// What changes when the database is a node of a MariaDB Galera Cluster (synchronous
// multi-primary replication, certification-based conflict detection) rather than one server.
import { sql, type Connection, type SQLQuery } from '@databases/mysql';
import type { Database, Queryable } from './database';
import { driverOf } from './mysql-driver';

/** Per physical connection (its mysql2 driver): whether its server replicates with Galera. */
const galeraSessions = new WeakMap<object, boolean>();

/**
 * True when the connection's server is a Galera node (`wsrep_on` is ON for the session),
 * learnt with one `SHOW VARIABLES` per physical connection and remembered. MySQL has no such
 * variable (no row: false); a MariaDB server without a cluster says OFF.
 */
export async function isGaleraSession(connection: Connection): Promise<boolean> {
  const driver = driverOf(connection);
  const known = driver && galeraSessions.get(driver);
  if (known !== undefined) return known;
  const rows = (await connection.query(sql`SHOW SESSION VARIABLES LIKE 'wsrep_on'`)) as Array<{
    Value: string;
  }>;
  const isGalera = rows[0]?.Value === 'ON';
  if (driver) galeraSessions.set(driver, isGalera);
  return isGalera;
}

/**
 * `query` as a causal read on a Galera node: the node first applies every write the cluster
 * committed before the read began (MariaDB `SET STATEMENT wsrep_sync_wait = 1 FOR …`, the
 * READ bit: SELECT, SHOW, BEGIN). On one server the statement is left as it is.
 */
export function causal(query: SQLQuery, isGalera: boolean): SQLQuery {
  return isGalera ? sql`SET STATEMENT wsrep_sync_wait = 1 FOR ${query}` : query;
}

/**
 * `db` for reads that must see a write just made through another node of the cluster (the
 * Orders API reading a customer the Customers API created a moment ago; the orchestrator
 * reading an order another replica confirmed): each query is a causal read on a Galera node
 * (see `causal`), a plain one elsewhere. For single reads; a transaction's BEGIN is causal
 * already (transactionWithRetry).
 */
export function causalReads(db: Database): Queryable {
  const query = (queries: SQLQuery | SQLQuery[]) =>
    db.task(async (connection) => {
      const isGalera = await isGaleraSession(connection);
      return Array.isArray(queries)
        ? connection.query(queries.map((one) => causal(one, isGalera)))
        : connection.query(causal(queries, isGalera));
    });
  return { query } as Queryable;
}

/** Why a database node cannot serve requests now; undefined when it can. */
export type NodeUnfitness = 'read-only' | 'not-synced' | 'not-ready';

interface StatusRow {
  Variable_name: string;
  Value: string;
}

/**
 * Whether the server behind `connection` can serve reads and writes: not read-only, and, on
 * a Galera node, `wsrep_ready` ON and `wsrep_local_state` 4 (Synced). A node that has lost
 * quorum still answers `SELECT 1` while every table access fails (errno 1047); a joiner or a
 * donor is not Synced. Two statements; MySQL and single MariaDB servers have no wsrep status.
 */
export async function nodeUnfitness(connection: Connection): Promise<NodeUnfitness | undefined> {
  const [settings] = (await connection.query(sql`SELECT @@global.read_only AS read_only`)) as Array<{
    read_only: number | string;
  }>;
  if (Number(settings?.read_only) === 1) return 'read-only';
  if (!(await isGaleraSession(connection))) return undefined;
  const status = (await connection.query(
    sql`SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state')`,
  )) as StatusRow[];
  const value = (name: string) => status.find((row) => row.Variable_name === name)?.Value;
  if (value('wsrep_ready') !== 'ON') return 'not-ready';
  if (value('wsrep_local_state') !== '4') return 'not-synced';
  return undefined;
}
