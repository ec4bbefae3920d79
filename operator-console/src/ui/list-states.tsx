import { ProblemAlert } from './problem-alert';
import type { KeysetList } from './use-keyset-list';

/** Below a list: loading, empty and error states, and "Load more" while there is a next page. */
export function ListStates<Item>({
  list,
  empty,
}: {
  list: KeysetList<Item & { id: number }>;
  empty: string;
}) {
  return (
    <>
      {list.status === 'loading' && (
        <p className="muted" role="status">
          Loading…
        </p>
      )}
      {list.status === 'ready' && !list.problem && list.items.length === 0 && (
        <p className="empty">{empty}</p>
      )}
      {list.problem && <ProblemAlert problem={list.problem} onRetry={list.retry} />}
      {list.hasMore && !list.problem && (
        <button
          type="button"
          className="button secondary load-more"
          onClick={list.loadMore}
          disabled={list.status === 'more'}
        >
          {list.status === 'more' ? 'Loading more…' : 'Load more'}
        </button>
      )}
    </>
  );
}
