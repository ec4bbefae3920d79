import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import { createGate, type Gate } from '@b2b/service-kit/testing';

export interface OrdersEdgeProxy {
  url: string;
  /** While true, POST /orders/{id}/confirm is answered 503 instead of being forwarded. */
  failConfirmations: boolean;
  /** "POST /orders/7/confirm" for every request that reached the proxy. */
  requests: string[];
  /**
   * The next request whose "METHOD /path" matches is forwarded to the Orders API, which
   * does its work, but the answer is held at the proxy until the gate is released: an
   * answer lost on the way back, for as long as the test decides. `arrived` resolves once
   * the Orders API has answered and the proxy holds that answer.
   */
  holdNextAnswer(request: RegExp): Gate;
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

function forwardTo(target: URL, request: IncomingMessage, response: ServerResponse, gate?: Gate): void {
  const upstream = forward(
    {
      host: target.hostname,
      port: target.port,
      method: request.method,
      path: request.url,
      headers: request.headers,
    },
    async (answer) => {
      await gate?.pass();
      // A held answer may outlive the caller, who timed out and went away meanwhile.
      if (response.destroyed) {
        answer.resume();
        return;
      }
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  upstream.on('error', () => response.destroy());
  request.pipe(upstream);
}

/**
 * A small HTTP proxy in front of the real Orders API: it forwards everything, except that
 * it can make confirmations fail or hold an answer back. It isolates a failure at the
 * network edge while the services themselves stay real.
 */
export async function startOrdersEdgeProxy(ordersApiUrl: string): Promise<OrdersEdgeProxy> {
  const target = new URL(ordersApiUrl);
  const gates: Gate[] = [];
  const holds: Array<{ request: RegExp; gate: Gate }> = [];
  const proxy: Partial<OrdersEdgeProxy> = {
    failConfirmations: false,
    requests: [],
    holdNextAnswer(request) {
      const gate = createGate();
      gates.push(gate);
      holds.push({ request, gate });
      return gate;
    },
  };
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0]!;
    const line = `${request.method} ${path}`;
    proxy.requests!.push(line);
    if (proxy.failConfirmations && request.method === 'POST' && CONFIRM.test(path)) {
      request.resume();
      answerServiceUnavailable(response);
      return;
    }
    const held = holds.findIndex((hold) => hold.request.test(line));
    const [hold] = held === -1 ? [] : holds.splice(held, 1);
    forwardTo(target, request, response, hold?.gate);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      // An answer still held would keep its connection to the Orders API open.
      for (const gate of gates) gate.release();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return proxy as OrdersEdgeProxy;
}
