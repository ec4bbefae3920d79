import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { InvalidCursor } from './errors';

/** A keyset position: the values of the ordering columns of the last row of a page. */
export type KeysetPosition = Array<string | number>;

export const DEFAULT_PAGE_SIZE = 20;

/** The HMAC key of list cursors, made once from CURSOR_SECRET (see readCursorSecret). */
export type CursorKey = KeyObject;

export function createCursorKey(secret: string | Buffer): CursorKey {
  return createSecretKey(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret);
}

/**
 * The list a cursor belongs to: the key that signs it, the operation that issued it and that
 * operation's filters (every query parameter but `cursor` and `limit`: the page size may
 * change from one page to the next, the filters may not). Filter values are canonical
 * strings, so two spellings of one filter (two notations of one instant) are one list.
 */
export interface CursorScope {
  key: CursorKey;
  list: string;
  filters: Record<string, string | undefined>;
}

/** Bytes of the truncated HMAC-SHA256 tag: 128 bits, beyond guessing. */
const TAG_BYTES = 16;
/** Names the cursor format in what is signed, so a future format never verifies as this one. */
const FORMAT = 'b2b-cursor-v1';

/**
 * What the tag of a cursor vouches for: its format, its list, the list's filters (absent
 * ones left out, in name order) and the position bytes. The header is JSON, which escapes
 * every line break, so the first `\n` ends it and no two scopes sign the same bytes.
 */
function tagOf(scope: CursorScope, positionBytes: Buffer): Buffer {
  const filters = Object.entries(scope.filters)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHmac('sha256', scope.key)
    .update(`${JSON.stringify([FORMAT, scope.list, filters])}\n`)
    .update(positionBytes)
    .digest()
    .subarray(0, TAG_BYTES);
}

/**
 * Cursors are opaque to clients: base64url of a tag (HMAC-SHA256 of the scope and the
 * position, truncated to 16 bytes) followed by the JSON of the keyset position. The scope is
 * not carried, it is signed: the list that receives the cursor supplies its own, so a cursor
 * of another list, other filters or another key fails the tag check.
 */
export function encodeCursor(position: KeysetPosition, scope: CursorScope): string {
  const positionBytes = Buffer.from(JSON.stringify(position), 'utf8');
  return Buffer.concat([tagOf(scope, positionBytes), positionBytes]).toString('base64url');
}

/**
 * Decodes a cursor made by encodeCursor for this scope: the tag is checked (in constant time)
 * before anything is parsed, then the position's shape, so a forged, edited, truncated or
 * foreign cursor is a 400 INVALID_CURSOR and never reaches SQL.
 */
export function decodeCursor<const Shape extends ReadonlyArray<'string' | 'integer'>>(
  cursor: string,
  shape: Shape,
  scope: CursorScope,
): { [K in keyof Shape]: Shape[K] extends 'integer' ? number : string } {
  const invalid = () => new InvalidCursor();
  const bytes = Buffer.from(cursor, 'base64url');
  // Buffer.from skips characters outside the alphabet and ignores trailing bits: only the
  // one canonical spelling of a cursor is that cursor.
  if (bytes.length <= TAG_BYTES || bytes.toString('base64url') !== cursor) throw invalid();
  const positionBytes = bytes.subarray(TAG_BYTES);
  if (!timingSafeEqual(bytes.subarray(0, TAG_BYTES), tagOf(scope, positionBytes))) throw invalid();
  let position: unknown;
  try {
    position = JSON.parse(positionBytes.toString('utf8'));
  } catch {
    throw invalid();
  }
  // A signed cursor was written by encodeCursor; the shape check holds the use case's
  // assumptions should a list ever change its ordering columns under the same key.
  if (!Array.isArray(position) || position.length !== shape.length) throw invalid();
  shape.forEach((kind, index) => {
    const value: unknown = position[index];
    const isValid =
      kind === 'integer'
        ? Number.isSafeInteger(value) && (value as number) >= 0
        : typeof value === 'string' && value.length <= 64;
    if (!isValid) throw invalid();
  });
  return position as never;
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only tells that another page
 * exists, and the cursor points after the last row returned, signed for `scope`.
 */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  positionOf: (row: Row) => KeysetPosition,
  scope: CursorScope,
): { data: Item[]; next_cursor: string | null } {
  const pageRows = rows.slice(0, limit);
  const last = pageRows.at(-1);
  return {
    data: pageRows.map(toItem),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(positionOf(last), scope) : null,
  };
}
