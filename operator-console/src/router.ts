import { useSyncExternalStore } from 'react';

// Hash routes (#/orders/12, #/orders?status=CREATED): the console is static files behind any
// server, no rewrites needed, and a reload, back/forward or a shared link opens the same
// screen with the same filters.

export type Route =
  | { name: 'dashboard' }
  | { name: 'orders'; query?: string }
  | { name: 'order'; id: number }
  | { name: 'new-order' }
  | { name: 'customers' }
  | { name: 'customer'; id: number }
  | { name: 'products'; query?: string }
  | { name: 'webhooks' }
  | { name: 'webhook'; id: number }
  | { name: 'not-found'; path: string };

const ID = '([1-9]\\d{0,15})';

/** The route of a location hash (`#/orders?status=CREATED`); unknown paths are `not-found`. */
export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split(/\?(.*)/s);
  const withId = (prefix: string) => new RegExp(`^/${prefix}/${ID}$`).exec(path)?.[1];
  const order = withId('orders');
  if (order) return { name: 'order', id: Number(order) };
  const customer = withId('customers');
  if (customer) return { name: 'customer', id: Number(customer) };
  const webhook = withId('webhooks');
  if (webhook) return { name: 'webhook', id: Number(webhook) };
  switch (path) {
    case '':
    case '/':
    case '/dashboard':
      return { name: 'dashboard' };
    case '/orders':
      return { name: 'orders', query };
    case '/products':
      return { name: 'products', query };
    case '/new-order':
    case '/customers':
    case '/webhooks':
      return { name: path.slice(1) as 'new-order' | 'customers' | 'webhooks' };
    default:
      return { name: 'not-found', path };
  }
}

/** The hash of a route; a route's `query` (URLSearchParams text) follows a `?` when not empty. */
export function routeHref(route: Route): string {
  switch (route.name) {
    case 'order':
      return `#/orders/${route.id}`;
    case 'customer':
      return `#/customers/${route.id}`;
    case 'webhook':
      return `#/webhooks/${route.id}`;
    case 'not-found':
      return `#${route.path}`;
    case 'orders':
    case 'products':
      return `#/${route.name}${route.query ? `?${route.query}` : ''}`;
    default:
      return `#/${route.name}`;
  }
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useRoute(): Route {
  return parseRoute(useSyncExternalStore(subscribe, () => window.location.hash));
}
