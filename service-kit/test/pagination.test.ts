import { describe, expect, it } from 'vitest';
import {
  DEVELOPMENT_CURSOR_SECRET,
  EnvReader,
  ConfigError,
  readCursorSecret,
  type Environment,
} from '../src/config';
import { AppError } from '../src/errors';
import {
  createCursorKey,
  decodeCursor,
  encodeCursor,
  toPage,
  type CursorScope,
  type KeysetPosition,
} from '../src/pagination';
import { TEST_CURSOR_SECRET } from '../src/testing/auth';

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

const key = createCursorKey(TEST_CURSOR_SECRET);
const ordersScope: CursorScope = {
  key,
  list: 'listOrders',
  filters: { status: 'CREATED', from: '2026-11-01T00:00:00.000Z', to: undefined },
};
const TIMESTAMP_AND_ID = ['string', 'integer'] as const;

/** The cursor toPage gives after `row`, as a client receives it. */
function cursorAfter(row: Row): string {
  const page = toPage([row, row], 1, (item) => item, positionOf, ordersScope);
  if (page.next_cursor === null) throw new Error('expected a next page');
  return page.next_cursor;
}

const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The error decoding `cursor` as a [timestamp, id] position of `scope` throws: an AppError, for a client to see. */
function refusalOf(
  cursor: string,
  scope = ordersScope,
  shape: ReadonlyArray<'string' | 'integer'> = TIMESTAMP_AND_ID,
): AppError {
  try {
    decodeCursor(cursor, shape, scope);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error(`cursor ${JSON.stringify(cursor)} was accepted`);
}

const INVALID_CURSOR = {
  code: 'INVALID_CURSOR',
  fieldErrors: [{ field: 'query.cursor', message: 'is not a valid cursor' }],
};

describe('toPage', () => {
  it('when one row more than the limit was fetched, then the page holds `limit` items and a cursor after the last of them', () => {
    const fetched = rows(4);

    const page = toPage(fetched, 3, (row) => row.id, positionOf, ordersScope);

    expect(page.data).toEqual([100, 99, 98]);
    expect(page.next_cursor).not.toBeNull();
    expect(decodeCursor(page.next_cursor!, TIMESTAMP_AND_ID, ordersScope)).toEqual([
      fetched[2]!.created_at,
      98,
    ]);
  });

  it.each([
    ['exactly the limit', 3],
    ['fewer rows than the limit', 2],
    ['no rows', 0],
  ])('when %s came back, then it is the last page: next_cursor is null', (_, count) => {
    const page = toPage(rows(count), 3, (row) => row.id, positionOf, ordersScope);

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
      ordersScope,
    ).next_cursor!;

    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor.length).toBeLessThanOrEqual(200);
    expect(decodeCursor(cursor, shape, ordersScope)).toEqual(position);
  });

  it('when the filters are given in another order or an absent one is left out, then it is the same list', () => {
    const cursor = cursorAfter(rows(1)[0]!);
    const sameList: CursorScope = {
      key: createCursorKey(TEST_CURSOR_SECRET),
      list: 'listOrders',
      filters: { from: '2026-11-01T00:00:00.000Z', status: 'CREATED' },
    };

    expect(decodeCursor(cursor, TIMESTAMP_AND_ID, sameList)).toEqual([rows(1)[0]!.created_at, 100]);
  });

  it.each([
    ['made by hand, as base64url of [18]', encoded([18])],
    ['made by hand, as base64url of a position', encoded(['2026-11-23T09:30:00.000Z', 18])],
    ['not base64url at all', 'not a cursor!'],
    ['an empty string', ''],
    ['no longer than a tag', Buffer.alloc(16).toString('base64url')],
  ])('when the cursor is %s, then it is refused as INVALID_CURSOR naming query.cursor', (_, cursor) => {
    expect(refusalOf(cursor)).toMatchObject(INVALID_CURSOR);
  });

  it.each<[string, CursorScope]>([
    ['another list', { ...ordersScope, list: 'listProducts' }],
    [
      'another value of a filter',
      { ...ordersScope, filters: { ...ordersScope.filters, status: 'CONFIRMED' } },
    ],
    [
      'one filter more',
      { ...ordersScope, filters: { ...ordersScope.filters, to: '2026-12-01T00:00:00.000Z' } },
    ],
    ['one filter less', { ...ordersScope, filters: { ...ordersScope.filters, status: undefined } }],
    [
      'a filter value moved to another filter',
      { ...ordersScope, filters: { status: 'CREATED', to: '2026-11-01T00:00:00.000Z' } },
    ],
    ['another key', { ...ordersScope, key: createCursorKey('another-cursor-secret-0123456789abcdef') }],
  ])(
    'when a cursor issued for this list is used with %s, then it is refused as INVALID_CURSOR',
    (_, scope) => {
      const cursor = cursorAfter(rows(1)[0]!);

      expect(refusalOf(cursor, scope)).toMatchObject(INVALID_CURSOR);
    },
  );

  it('when any one byte of a cursor is changed, then it is refused as INVALID_CURSOR', () => {
    const bytes = Buffer.from(cursorAfter(rows(1)[0]!), 'base64url');

    for (let index = 0; index < bytes.length; index++) {
      const edited = Buffer.from(bytes);
      edited[index] = edited[index]! ^ 0x01;
      expect(refusalOf(edited.toString('base64url')), `byte ${index}`).toMatchObject(INVALID_CURSOR);
    }
  });

  it('when the position of a cursor is replaced, keeping its tag, then it is refused as INVALID_CURSOR', () => {
    const bytes = Buffer.from(cursorAfter(rows(1)[0]!), 'base64url');
    const forged = Buffer.concat([
      bytes.subarray(0, 16),
      Buffer.from(JSON.stringify(['2026-11-23T09:30:00.000Z', 18])),
    ]);

    expect(refusalOf(forged.toString('base64url'))).toMatchObject(INVALID_CURSOR);
  });

  it('when a cursor is truncated or has a character more, then it is refused as INVALID_CURSOR', () => {
    const cursor = cursorAfter(rows(1)[0]!);

    for (const changed of [cursor.slice(0, -1), cursor.slice(0, -4), cursor.slice(1), `${cursor}A`]) {
      expect(refusalOf(changed), changed).toMatchObject(INVALID_CURSOR);
    }
  });

  it('when a cursor is spelled with other trailing bits that decode to the same bytes, then it is refused', () => {
    // A cursor of [42] is 16 + 4 bytes: its last base64url character carries two unused bits.
    const cursor = encodeCursor([42], ordersScope);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(cursor.at(-1)!);
    const respelled = `${cursor.slice(0, -1)}${alphabet[last ^ 0b01]}`;
    expect(decodeCursor(cursor, ['integer'], ordersScope)).toEqual([42]);
    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(cursor, 'base64url'));

    expect(refusalOf(respelled, ordersScope, ['integer'])).toMatchObject(INVALID_CURSOR);
  });

  it.each<[string, KeysetPosition]>([
    ['too few values', ['2026-11-23T09:30:00.000Z']],
    ['an integer where a string belongs', [1, 1]],
    ['a negative id', ['2026-11-23T09:30:00.000Z', -1]],
    ['an id beyond the safe integers', ['2026-11-23T09:30:00.000Z', 2 ** 53]],
    ['a string longer than 64 characters', ['x'.repeat(65), 1]],
  ])('when a signed cursor holds %s, then it is refused as INVALID_CURSOR', (_, position) => {
    expect(refusalOf(encodeCursor(position, ordersScope))).toMatchObject(INVALID_CURSOR);
  });
});

describe('readCursorSecret', () => {
  function read(env: Record<string, string>, environment: Environment) {
    const reader = new EnvReader(env);
    const secret = readCursorSecret(reader, environment);
    try {
      reader.done();
      return { secret, problems: [] };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return { secret, problems: error.problems };
    }
  }

  it.each<Environment>(['development', 'test'])(
    'when CURSOR_SECRET is unset in %s, then the development secret is used',
    (environment) => {
      expect(read({}, environment)).toEqual({ secret: DEVELOPMENT_CURSOR_SECRET, problems: [] });
    },
  );

  it('when CURSOR_SECRET is set in production, then it is used', () => {
    const secret = 'a-production-cursor-secret-of-32-characters';

    expect(read({ CURSOR_SECRET: secret }, 'production')).toEqual({ secret, problems: [] });
  });

  it.each([
    ['unset', {}, 'CURSOR_SECRET is required'],
    [
      'the development secret',
      { CURSOR_SECRET: DEVELOPMENT_CURSOR_SECRET },
      'CURSOR_SECRET must not be the development default or a placeholder when NODE_ENV=production',
    ],
    [
      'a placeholder',
      { CURSOR_SECRET: 'change-me-to-a-long-random-cursor-secret' },
      'CURSOR_SECRET must not be the development default or a placeholder when NODE_ENV=production',
    ],
    [
      'shorter than 32 characters',
      { CURSOR_SECRET: 'short-secret' },
      'CURSOR_SECRET must be at least 32 characters long',
    ],
  ])('when CURSOR_SECRET is %s in production, then the service refuses to start', (_, env, problem) => {
    expect(read(env, 'production').problems).toEqual([problem]);
  });
});
