import { useCallback, useEffect, useRef, useState } from 'react';
import { problemOf } from '../api/problem';
import type { Problem } from '../contract-types';

/** One answer of a list operation, as openapi-fetch resolves it. */
export interface PageResult<Item> {
  data?: { data: Item[]; next_cursor: string | null };
  error?: unknown;
  response: Response;
}

export interface KeysetList<Item> {
  items: Item[];
  /** 'loading' for a first page, 'more' for the next one. */
  status: 'loading' | 'more' | 'ready';
  problem: Problem | undefined;
  hasMore: boolean;
  loadMore(): void;
  /** Repeats the call that failed (the same cursor). */
  retry(): void;
  /** Puts an item first, or replaces the item with its id where it is. */
  upsert(item: Item, position?: 'first' | 'in-place'): void;
  remove(id: number): void;
}

/**
 * A list read page by page with the API's opaque cursor ("Load more"). It starts again from
 * the first page whenever `fetchPage` changes (a new search or filter), and ignores answers
 * to calls a newer one has replaced.
 */
export function useKeysetList<Item extends { id: number }>(
  fetchPage: (cursor: string | undefined) => Promise<PageResult<Item>>,
): KeysetList<Item> {
  const [items, setItems] = useState<Item[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [status, setStatus] = useState<KeysetList<Item>['status']>('loading');
  const [problem, setProblem] = useState<Problem>();
  const latestCall = useRef(0);
  const lastCursor = useRef<string | undefined>(undefined);

  const load = useCallback(
    async (cursor: string | undefined) => {
      const call = (latestCall.current += 1);
      lastCursor.current = cursor;
      setStatus(cursor ? 'more' : 'loading');
      setProblem(undefined);
      if (!cursor) setItems([]);
      const { data, error, response } = await fetchPage(cursor);
      if (call !== latestCall.current) return;
      if (data) {
        // A keyset page never repeats a row; a mock (which always answers the same page) does.
        setItems((shown) => {
          const ids = new Set(shown.map((item) => item.id));
          return cursor ? [...shown, ...data.data.filter((item) => !ids.has(item.id))] : data.data;
        });
        setNextCursor(data.next_cursor);
      } else {
        setProblem(problemOf(error, response));
      }
      setStatus('ready');
    },
    [fetchPage],
  );

  useEffect(() => {
    void load(undefined);
  }, [load]);

  return {
    items,
    status,
    problem,
    hasMore: nextCursor !== null,
    loadMore: () => {
      if (nextCursor) void load(nextCursor);
    },
    retry: () => void load(lastCursor.current),
    upsert: (item, position = 'first') =>
      setItems((shown) =>
        position === 'in-place' && shown.some((row) => row.id === item.id)
          ? shown.map((row) => (row.id === item.id ? item : row))
          : [item, ...shown.filter((row) => row.id !== item.id)],
      ),
    remove: (id) => setItems((shown) => shown.filter((row) => row.id !== id)),
  };
}
