import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';

export interface OrdersEdgeProxy {
  url: string;
  /** While true, POST /orders/{id}/confirm is answered 503 instead of being forwarded. */
  failConfirmations: boolean;
  /** "POST /orders/7/confirm" for every request that reached the proxy. */
  requests: string[];
  close(): Promise<void>;
}

const CONFIRM = /^\/orders\/\d+\/confirm$/;

function answerServiceUnavailable(response: ServerResponse): void {
  response.writeHead(503, { 'Content-Type': 'application/problem+json' });
  response.end(
    JSON.stringify({
      type: 'https://b2b-orders.example/problems/service-unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail: 'Confirmation is failing (test proxy).',
      code: 'DATABASE_UNAVAILABLE',
    }),
  );
}

function forwardTo(target: URL, request: IncomingMessage, response: ServerResponse): void {
  const upstream = forward(
    {
      host: target.hostname,
      port: target.port,
      method: request.method,
      path: request.url,
      headers: request.headers,
    },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  upstream.on('error', () => response.destroy());
  request.pipe(upstream);
}

/**
 * A small HTTP proxy in front of the real Orders API: it forwards everything, except that
 * it can make confirmations fail. It isolates a failure at the network edge while the
 * services themselves stay real.
 */
export async function startOrdersEdgeProxy(ordersApiUrl: string): Promise<OrdersEdgeProxy> {
  const target = new URL(ordersApiUrl);
  const proxy: Partial<OrdersEdgeProxy> = { failConfirmations: false, requests: [] };
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0]!;
    proxy.requests!.push(`${request.method} ${path}`);
    if (proxy.failConfirmations && request.method === 'POST' && CONFIRM.test(path)) {
      request.resume();
      answerServiceUnavailable(response);
      return;
    }
    forwardTo(target, request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return proxy as OrdersEdgeProxy;
}
