import type { OrderStatus } from '../contract-types';

/** The status as a word (never as colour alone), coloured as a second cue. */
export function StatusBadge({ status }: { status: OrderStatus }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{status}</span>;
}
