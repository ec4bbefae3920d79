import { useSyncExternalStore } from 'react';

// Hash routes (#/orders/12): the console is static files behind any server, no rewrites
// needed, and a reload or a shared link opens the same screen.

export type Route =
  | { name: 'orders' }
  | { name: 'order'; id: number }
  | { name: 'new-order' }
  | { name: 'customers' }
  | { name: 'products' }
  | { name: 'webhooks' }
  | { name: 'webhook'; id: number };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const order = /^\/orders\/([1-9]\d{0,15})$/.exec(path);
  if (order) return { name: 'order', id: Number(order[1]) };
  if (path === '/new-order') return { name: 'new-order' };
  if (path === '/customers') return { name: 'customers' };
  if (path === '/products') return { name: 'products' };
  const webhook = /^\/webhooks\/([1-9]\d{0,15})$/.exec(path);
  if (webhook) return { name: 'webhook', id: Number(webhook[1]) };
  if (path === '/webhooks') return { name: 'webhooks' };
  return { name: 'orders' };
}

export function routeHref(route: Route): string {
  if (route.name === 'order') return `#/orders/${route.id}`;
  if (route.name === 'webhook') return `#/webhooks/${route.id}`;
  return `#/${route.name}`;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useRoute(): Route {
  return parseRoute(useSyncExternalStore(subscribe, () => window.location.hash));
}
