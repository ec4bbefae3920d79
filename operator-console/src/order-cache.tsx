import { createContext, useContext } from 'react';
import type { Order } from './contract-types';

/**
 * The orders the list last showed, by id. The list already carries each order with its
 * items, so opening one shows it at once instead of asking for it again; the detail's
 * "Reload" asks the API, and every action answers with the order as it is now.
 */
export type OrderCache = Map<number, Order>;

export const OrderCacheContext = createContext<OrderCache>(new Map());

export function useOrderCache(): OrderCache {
  return useContext(OrderCacheContext);
}
