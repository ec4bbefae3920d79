import { routeHref } from '../router';
import { ScreenHeader } from '../ui/screen-header';

/** An address the console has no screen for: say which, and offer the usual ways on. */
export function NotFoundScreen({ path }: { path: string }) {
  return (
    <>
      <ScreenHeader title="Page not found" />
      <div className="card not-found">
        <p>
          The console has no page at <code className="not-found-path">{path || '/'}</code>. The link may be
          old or mistyped.
        </p>
        <p className="not-found-links">
          <a className="button primary" href={routeHref({ name: 'dashboard' })}>
            Go to the dashboard
          </a>
          <a className="button secondary" href={routeHref({ name: 'orders' })}>
            See the orders
          </a>
        </p>
      </div>
    </>
  );
}
