/** Minutes after confirmation during which the Orders API accepts a cancel (its ORDER_CANCEL_WINDOW_MINUTES). */
export const CANCEL_WINDOW_MINUTES: number = __ORDER_CANCEL_WINDOW_MINUTES__;

/** Rows per page of every list (the contract allows 1–100). */
export const PAGE_SIZE = 20;
