import { InvalidCursor } from './errors';

/** A keyset position: the values of the ordering columns of the last row of a page. */
export type KeysetPosition = Array<string | number>;

export const DEFAULT_PAGE_SIZE = 20;

/** Cursors are opaque to clients: base64url of the keyset values of the last row. */
function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/**
 * Decodes a cursor made by encodeCursor and checks it has the expected shape, so a
 * tampered or foreign cursor is a 400 INVALID_CURSOR and never reaches SQL.
 */
export function decodeCursor<const Shape extends ReadonlyArray<'string' | 'integer'>>(
  cursor: string,
  shape: Shape,
): { [K in keyof Shape]: Shape[K] extends 'integer' ? number : string } {
  const invalid = () => new InvalidCursor();
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
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
 * exists, and the cursor points after the last row returned.
 */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  positionOf: (row: Row) => KeysetPosition,
): { data: Item[]; next_cursor: string | null } {
  const pageRows = rows.slice(0, limit);
  const last = pageRows.at(-1);
  return {
    data: pageRows.map(toItem),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null,
  };
}
