import { describe, expect, it } from 'vitest';
import { AppError } from '../src/errors';
import { decodeCursor, toPage, type KeysetPosition } from '../src/pagination';

interface Row {
  id: number;
  created_at: string;
}

const rows = (count: number): Row[] =>
  Array.from({ length: count }, (_, index) => ({
    id: 100 - index,
    created_at: `2026-11-23T09:30:${String(index).padStart(2, '0')}.000Z`,
  }));

const positionOf = (row: Row): KeysetPosition => [row.created_at, row.id];

/** The cursor toPage gives after `row`, as a client receives it. */
function cursorAfter(row: Row): string {
  const page = toPage([row, row], 1, (item) => item, positionOf);
  if (page.next_cursor === null) throw new Error('expected a next page');
  return page.next_cursor;
}

const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The error decoding `cursor` as a [timestamp, id] position throws: an AppError, for a client to see. */
function refusalOf(cursor: string): AppError {
  try {
    decodeCursor(cursor, ['string', 'integer']);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error(`cursor ${JSON.stringify(cursor)} was accepted`);
}

describe('toPage', () => {
  it('when one row more than the limit was fetched, then the page holds `limit` items and a cursor after the last of them', () => {
    const fetched = rows(4);

    const page = toPage(fetched, 3, (row) => row.id, positionOf);

    expect(page.data).toEqual([100, 99, 98]);
    expect(page.next_cursor).not.toBeNull();
    expect(decodeCursor(page.next_cursor!, ['string', 'integer'])).toEqual([fetched[2]!.created_at, 98]);
  });

  it.each([
    ['exactly the limit', 3],
    ['fewer rows than the limit', 2],
    ['no rows', 0],
  ])('when %s came back, then it is the last page: next_cursor is null', (_, count) => {
    const page = toPage(rows(count), 3, (row) => row.id, positionOf);

    expect(page.data).toHaveLength(count);
    expect(page.next_cursor).toBeNull();
  });
});

describe('cursors', () => {
  it.each<[string, KeysetPosition, ReadonlyArray<'string' | 'integer'>]>([
    ['an id', [42], ['integer']],
    ['a timestamp and an id', ['2026-11-23T09:30:00.000Z', 7], ['string', 'integer']],
    ['the largest safe id', [Number.MAX_SAFE_INTEGER], ['integer']],
    ['id 0 and a string of 64 characters', ['x'.repeat(64), 0], ['string', 'integer']],
  ])('when a cursor holds %s, then it decodes to the position it was made from', (_, position, shape) => {
    const cursor = toPage(
      [{}, {}],
      1,
      () => null,
      () => position,
    ).next_cursor!;

    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, shape)).toEqual(position);
  });

  it.each([
    ['not base64url JSON', 'not a cursor!'],
    ['an empty string', ''],
    ['JSON that is no array', encoded({ id: 1 })],
    ['too few values', encoded([1])],
    ['too many values', encoded(['2026-11-23T09:30:00.000Z', 1, 2])],
    ['a string where an integer belongs', encoded(['2026-11-23T09:30:00.000Z', '1'])],
    ['an integer where a string belongs', encoded([1, 1])],
    ['a negative id', encoded(['2026-11-23T09:30:00.000Z', -1])],
    ['a fractional id', encoded(['2026-11-23T09:30:00.000Z', 1.5])],
    ['an id beyond the safe integers', encoded(['2026-11-23T09:30:00.000Z', 2 ** 53])],
    ['a string longer than 64 characters', encoded(['x'.repeat(65), 1])],
    ['null values', encoded([null, null])],
  ])('when the cursor is %s, then it is refused as INVALID_CURSOR naming query.cursor', (_, cursor) => {
    expect(refusalOf(cursor)).toMatchObject({
      code: 'INVALID_CURSOR',
      fieldErrors: [{ field: 'query.cursor', message: 'is not a valid cursor' }],
    });
  });

  it('when a cursor this API issued is edited, then it is refused as INVALID_CURSOR', () => {
    const cursor = cursorAfter(rows(1)[0]!);
    const edited = encoded(JSON.parse(Buffer.from(cursor, 'base64url').toString()).reverse());

    expect(refusalOf(edited)).toMatchObject({ code: 'INVALID_CURSOR' });
  });
});
