import { fieldHint } from './api/problem';
import { parseWholeNumber } from './money';

/**
 * The units one order line may ask for: `OrderItemInput.qty` of the orchestrator's and the
 * Orders API's contracts (contracts/orchestrator.yaml, `Qty` in contracts/orders.yaml),
 * 1–1,000. The generated types carry no bounds, so they are written here once;
 * test/order-quantity.test.ts checks them against the generated contract documents.
 */
export const QTY_RANGE = { min: 1, max: 1_000 } as const;

/** What a quantity must be, in the contract's words ("A whole number from 1 to 1,000"). */
export const QTY_HINT =
  fieldHint(['orchestrator', 'POST /orchestrator/create-and-confirm-order'], 'items.*.qty') ??
  `A whole number from ${QTY_RANGE.min} to ${QTY_RANGE.max.toLocaleString('en-US')}`;

/** The quantity typed (surrounding spaces allowed), or undefined when it is not one the contract allows. */
export function parseQty(text: string): number | undefined {
  const units = parseWholeNumber(text);
  return units !== undefined && units >= QTY_RANGE.min && units <= QTY_RANGE.max ? units : undefined;
}
