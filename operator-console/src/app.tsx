import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createApiClients } from './api/clients';
import { ApiContext } from './api/context';
import { formatTime } from './dates';
import { OrderCacheContext, type OrderCache } from './order-cache';
import { routeHref, useRoute, type Route } from './router';
import { CustomerDetailScreen } from './screens/customer-detail-screen';
import { CustomersScreen } from './screens/customers-screen';
import { DashboardScreen } from './screens/dashboard-screen';
import { LoginScreen } from './screens/login-screen';
import { NewOrderScreen } from './screens/new-order-screen';
import { NotFoundScreen } from './screens/not-found-screen';
import { OrderDetailScreen } from './screens/order-detail-screen';
import { OrdersScreen } from './screens/orders-screen';
import { ProductsScreen } from './screens/products-screen';
import { WebhookEndpointScreen } from './screens/webhook-endpoint-screen';
import { WebhooksScreen } from './screens/webhooks-screen';
import { clearSession, loadSession, saveSession, type Session } from './session';

const NAVIGATION: { route: Route; label: string }[] = [
  { route: { name: 'dashboard' }, label: 'Dashboard' },
  { route: { name: 'orders' }, label: 'Orders' },
  { route: { name: 'new-order' }, label: 'New order' },
  { route: { name: 'customers' }, label: 'Customers' },
  { route: { name: 'products' }, label: 'Products' },
  { route: { name: 'webhooks' }, label: 'Webhooks' },
];

export function App() {
  const [session, setSession] = useState<Session | undefined>(() => loadSession());
  const [notice, setNotice] = useState<string>();
  const orderCache = useMemo<OrderCache>(() => new Map(), []);

  const logOut = useCallback((why?: string) => {
    clearSession();
    setSession(undefined);
    setNotice(why);
  }, []);

  const api = useMemo(
    () =>
      createApiClients({
        // Read per call, so a call never carries a token the operator has logged out of.
        token: () => loadSession()?.token,
        onUnauthorized: () =>
          logOut('Your session has ended (the token expired or was refused). Log in again.'),
      }),
    [logOut],
  );

  // The token stops working at its expiry: log out then, rather than at the next failed call.
  useEffect(() => {
    if (!session) return;
    const timer = setTimeout(
      () => logOut(`Your session expired at ${formatTime(session.expiresAt)}. Log in again.`),
      Math.max(0, session.expiresAt - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [session, logOut]);

  return (
    <ApiContext.Provider value={api}>
      <OrderCacheContext.Provider value={orderCache}>
        {session ? (
          <Shell session={session} onLogOut={() => logOut('You have logged out.')} />
        ) : (
          <LoginScreen
            notice={notice}
            onLoggedIn={(started) => {
              saveSession(started);
              setNotice(undefined);
              setSession(started);
            }}
          />
        )}
      </OrderCacheContext.Provider>
    </ApiContext.Provider>
  );
}

function Shell({ session, onLogOut }: { session: Session; onLogOut(): void }) {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const href = routeHref(route);

  // After navigating, focus the new screen's heading, so keyboard and screen-reader users
  // start there (as a page load would) instead of on the link they left.
  useEffect(() => {
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [href]);

  return (
    <>
      <button
        type="button"
        className="skip-link"
        onClick={() => main.current?.querySelector<HTMLElement>('h1')?.focus()}
      >
        Skip to content
      </button>
      <header className="top-bar">
        <span className="brand">B2B Orders · Operator console</span>
        <nav aria-label="Main">
          <ul>
            {NAVIGATION.map(({ route: target, label }) => {
              const current =
                target.name === route.name ||
                (target.name === 'orders' && route.name === 'order') ||
                (target.name === 'customers' && route.name === 'customer') ||
                (target.name === 'webhooks' && route.name === 'webhook');
              return (
                <li key={label}>
                  <a href={routeHref(target)} aria-current={current ? 'page' : undefined}>
                    {label}
                  </a>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="who">
          <span>
            {session.username} <span className="muted">· until {formatTime(session.expiresAt)}</span>
          </span>
          <button type="button" className="button secondary small" onClick={onLogOut}>
            Log out
          </button>
        </div>
      </header>
      <main ref={main} id="main">
        <Screen route={route} />
      </main>
    </>
  );
}

function Screen({ route }: { route: Route }) {
  switch (route.name) {
    case 'dashboard':
      return <DashboardScreen />;
    case 'orders':
      return <OrdersScreen query={route.query ?? ''} />;
    case 'order':
      return <OrderDetailScreen key={route.id} id={route.id} />;
    case 'new-order':
      return <NewOrderScreen />;
    case 'customers':
      return <CustomersScreen />;
    case 'customer':
      return <CustomerDetailScreen key={route.id} id={route.id} />;
    case 'products':
      return <ProductsScreen />;
    case 'webhooks':
      return <WebhooksScreen />;
    case 'webhook':
      return <WebhookEndpointScreen key={route.id} id={route.id} />;
    case 'not-found':
      return <NotFoundScreen path={route.path} />;
  }
}
