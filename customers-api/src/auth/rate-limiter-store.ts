import { RateLimiterMySQL } from 'rate-limiter-flexible';
import { sql, toSafeInteger, transactionWithRetry, type Database } from '@b2b/service-kit';

/** One counter of the `login_throttle` table, as rate-limiter-flexible's MySQL store reads it. */
interface CounterRow {
  points: number;
  expire: number | null;
}

const toCounterRow = (row: { points: number; expire: string | null }): CounterRow => ({
  points: row.points,
  expire: row.expire === null ? null : toSafeInteger(row.expire),
});

export interface RateLimiterOptions {
  keyPrefix: string;
  points: number;
  duration: number;
  /** At most one limiter per process needs to purge the shared table. */
  purgesExpiredRows?: boolean;
}

/**
 * rate-limiter-flexible's MySQL store (its counting, blocking and RateLimiterRes logic)
 * with its four storage primitives run through our connection pool as `sql` templates,
 * against the `login_throttle` table that the migrations own (same columns and semantics
 * as the store's own table). So the counters live in the shared database — every replica
 * sees the same limits — without a second pool, and an unreachable database is the
 * usual 503. The methods below override the storage primitives that every store of the
 * library implements (`_upsert`, `_get`, `_delete`, `clearExpired`); the package version is
 * pinned exactly, and the log-in tests exercise every path through them.
 */
export class DatabaseRateLimiter extends RateLimiterMySQL {
  constructor(
    private readonly db: Database,
    options: RateLimiterOptions,
  ) {
    super({
      keyPrefix: options.keyPrefix,
      points: options.points,
      duration: options.duration,
      storeClient: db,
      // Anything but the store's own client kinds: the primitives below never use it.
      storeType: '@databases/mysql',
      tableName: 'login_throttle',
      tableCreated: true,
      clearExpiredByTimeout: options.purgesExpiredRows ?? false,
    });
  }

  /** Adds `points` to the key's counter (or sets it, `forceExpire`) and reads it back, in one transaction. */
  async _upsert(key: string, points: number, msDuration: number, forceExpire = false): Promise<CounterRow[]> {
    const now = Date.now();
    const expire = msDuration > 0 ? now + msDuration : null;
    return transactionWithRetry(this.db, async (tx) => {
      // One round trip: BEGIN, the upsert, the read of the counter, COMMIT.
      const [, rows] = await tx.commitWith([
        forceExpire
          ? sql`INSERT INTO login_throttle (\`key\`, points, expire) VALUES (${key}, ${points}, ${expire})
                ON DUPLICATE KEY UPDATE points = ${points}, expire = ${expire}`
          : // An expired counter starts again from `points`; a live one adds to its count.
            // (`expire` is assigned last, so the first IF still sees the old value.)
            sql`INSERT INTO login_throttle (\`key\`, points, expire) VALUES (${key}, ${points}, ${expire})
                ON DUPLICATE KEY UPDATE
                  points = IF(expire <= ${now}, ${points}, points + ${points}),
                  expire = IF(expire <= ${now}, ${expire}, expire)`,
        sql`SELECT points, expire FROM login_throttle WHERE \`key\` = ${key}`,
      ]);
      return (rows as Array<{ points: number; expire: string | null }>).map(toCounterRow);
    });
  }

  async _get(key: string): Promise<CounterRow[] | null> {
    const rows = await this.db.query(
      sql`SELECT points, expire FROM login_throttle
          WHERE \`key\` = ${key} AND (expire > ${Date.now()} OR expire IS NULL)`,
    );
    return rows.length === 0 ? null : rows.map(toCounterRow);
  }

  async _delete(key: string): Promise<boolean> {
    const result = await this.db.query(sql`DELETE FROM login_throttle WHERE \`key\` = ${key}`);
    return (result as unknown as { affectedRows: number }).affectedRows > 0;
  }

  /** Called every five minutes by the store (see `purgesExpiredRows`): rows expired an hour ago go. */
  async clearExpired(expiredBefore: number): Promise<void> {
    await this.db
      .query(sql`DELETE FROM login_throttle WHERE expire < ${expiredBefore}`)
      .catch(() => undefined);
  }
}
