import type { Order } from '../contract-types';
import { formatDateTime } from '../dates';
import { formatCents } from '../money';
import { routeHref } from '../router';
import { StatusBadge } from './status-badge';

/**
 * Orders as a table, newest first: the orders list and a customer's orders. The customer
 * is the order's own snapshot (name as placed), so it shows even once the customer is deleted.
 */
export function OrdersTable({
  orders,
  caption,
  showCustomer = true,
}: {
  orders: Order[];
  caption: string;
  showCustomer?: boolean;
}) {
  return (
    <table>
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Order</th>
          {showCustomer && <th scope="col">Customer</th>}
          <th scope="col">Status</th>
          <th scope="col" className="number">
            Lines
          </th>
          <th scope="col" className="number">
            Total
          </th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {orders.map((order) => (
          <tr key={order.id}>
            <td>
              <a href={routeHref({ name: 'order', id: order.id })}>#{order.id}</a>
            </td>
            {showCustomer && (
              <td>
                <a href={routeHref({ name: 'customer', id: order.customer_id })}>{order.customer.name}</a>
              </td>
            )}
            <td>
              <StatusBadge status={order.status} />
            </td>
            <td className="number">{order.items.length}</td>
            <td className="number">{formatCents(order.total_cents)}</td>
            <td>{formatDateTime(order.created_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
