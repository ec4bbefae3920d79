import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type ProxyOptions } from 'vite';
import { resolveLocalSettings } from '../scripts/lib/local-settings.mjs';

/** The checkout whose parts' .env files npm start reads. */
const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Where the console's own server (Vite's dev server or `vite preview`) forwards each API.
 * The browser only ever calls `/api/customers/…`, `/api/orders/…` and `/api/orchestrator/…`
 * on the console's origin, so the same bundle runs against the real system and against the
 * Prism mocks: only these targets change, and they live on the server, not in the bundle.
 */
export type Backend = 'real' | 'mock';
export type ApiName = 'customers' | 'orders' | 'orchestrator';

export interface ConsoleBackend {
  backend: Backend;
  targets: Record<ApiName, string>;
  /** The command that starts what the targets point at, for messages when nothing answers. */
  startCommand: string;
}

type Environment = Record<string, string | undefined>;

/**
 * The ports `npm start` gives the parts, found as it finds them (scripts/lib/local-settings.mjs):
 * CUSTOMERS_PORT, ORDERS_PORT and ORCHESTRATOR_PORT from the environment, else PORT in
 * customers-api/.env and orders-api/.env and ORCHESTRATOR_PORT in lambda-orchestrator/.env,
 * else 3001, 3002 and 3000. Throws, with npm start's own words, when one is not a port.
 */
export function systemPorts(env: Environment, root = REPOSITORY_ROOT): Record<ApiName, string> {
  const { settings, problems } = resolveLocalSettings({ env, root });
  const { customers, orders, orchestrator } = settings.ports;
  const ports = { customers, orders, orchestrator };
  const isPort = (port: number) => Number.isInteger(port) && port >= 1 && port <= 65535;
  if (!Object.values(ports).every(isPort)) {
    throw new Error(`The console cannot find the system's ports: ${problems.join('; ')}`);
  }
  return { customers: String(customers), orders: String(orders), orchestrator: String(orchestrator) };
}

/**
 * `CONSOLE_BACKEND=mock` points at the ports of `npm run mock` (MOCK_*_PORT, as
 * scripts/mock.mjs reads them); anything else at the ports of `npm start` (systemPorts: the
 * environment, then each part's .env). CUSTOMERS_URL, ORDERS_URL and ORCHESTRATOR_URL
 * override either, e.g. for a system on another host or on ephemeral ports in tests.
 * `root` is the checkout whose .env files are read.
 */
export function consoleBackend(env: Environment, root = REPOSITORY_ROOT): ConsoleBackend {
  const backend: Backend = env.CONSOLE_BACKEND === 'mock' ? 'mock' : 'real';
  const local = (port: string) =>
    `http://${backend === 'mock' ? (env.MOCK_HOST ?? '127.0.0.1') : '127.0.0.1'}:${port}`;
  const ports =
    backend === 'mock'
      ? {
          customers: env.MOCK_CUSTOMERS_PORT ?? '4010',
          orders: env.MOCK_ORDERS_PORT ?? '4011',
          orchestrator: env.MOCK_ORCHESTRATOR_PORT ?? '4012',
        }
      : systemPorts(env, root);
  return {
    backend,
    targets: {
      customers: env.CUSTOMERS_URL ?? local(ports.customers),
      orders: env.ORDERS_URL ?? local(ports.orders),
      orchestrator: env.ORCHESTRATOR_URL ?? local(ports.orchestrator),
    },
    startCommand: backend === 'mock' ? 'npm run mock' : 'npm start',
  };
}

/**
 * ORDER_CANCEL_WINDOW_MINUTES, the Orders API's setting (default 10): the contract does not
 * publish it, so the console is told at build time to enable "Cancel" on a CONFIRMED order
 * only while the API would accept it. The API stays the judge (409 CANCEL_WINDOW_EXPIRED).
 */
export function cancelWindowMinutes(env: Environment): number {
  const text = env.ORDER_CANCEL_WINDOW_MINUTES ?? '10';
  if (!/^\d{1,6}$/.test(text)) {
    throw new Error(`ORDER_CANCEL_WINDOW_MINUTES must be a whole number of minutes, not "${text}"`);
  }
  return Number(text);
}

/** The port the console is served on (CONSOLE_PORT, default 5173). */
export function consolePort(env: Environment): number {
  return Number(env.CONSOLE_PORT ?? 5173);
}

const API_NAMES: Record<ApiName, string> = {
  customers: 'Customers API',
  orders: 'Orders API',
  orchestrator: 'orchestrator',
};

/**
 * Same origin by proxy: `/api/<name>/…` is forwarded to that API without the prefix, so the
 * APIs need no CORS at all. When the API does not answer, the browser gets a problem+json
 * saying which one and how to start it, instead of a bare 502.
 */
function apiProxy(): Record<string, ProxyOptions> {
  const { targets, startCommand } = consoleBackend(process.env);
  return Object.fromEntries(
    (Object.keys(targets) as ApiName[]).map((name) => {
      const prefix = `/api/${name}`;
      const target = targets[name];
      const options: ProxyOptions = {
        target,
        changeOrigin: true,
        // X-Forwarded-For carries the operator's address; the Customers API reads it for the
        // log-in throttle only with TRUST_PROXY_HOPS=1 (otherwise every operator is this proxy).
        xfwd: true,
        rewrite: (path) => path.slice(prefix.length),
        configure(proxy) {
          proxy.on('error', (error, request, response) => {
            if (!('writeHead' in response)) return;
            const answer = response as ServerResponse;
            if (answer.headersSent) return;
            const correlationId = request.headers['x-correlation-id'];
            answer.writeHead(502, { 'Content-Type': 'application/problem+json' }).end(
              JSON.stringify({
                type: 'about:blank',
                title: 'Bad Gateway',
                status: 502,
                detail: `The ${API_NAMES[name]} does not answer at ${target} (${(error as NodeJS.ErrnoException).code ?? error.message}). Is it running? Start it with \`${startCommand}\`.`,
                code: 'CONSOLE_PROXY_ERROR',
                ...(typeof correlationId === 'string' ? { correlationId } : {}),
              }),
            );
          });
        },
      };
      return [`${prefix}/`, options];
    }),
  );
}

export default defineConfig(() => {
  const port = consolePort(process.env);
  const proxy = apiProxy();
  return {
    plugins: [react()],
    define: {
      __ORDER_CANCEL_WINDOW_MINUTES__: JSON.stringify(cancelWindowMinutes(process.env)),
    },
    server: { host: '127.0.0.1', port, strictPort: true, proxy },
    preview: {
      host: '127.0.0.1',
      port,
      strictPort: true,
      proxy,
      // The built console loads nothing but its own files and talks only to its own origin.
      headers: {
        'Content-Security-Policy':
          "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
          "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
      },
    },
    build: { target: 'es2022', sourcemap: true },
  };
});
