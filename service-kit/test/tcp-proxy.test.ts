import { createServer, type Server } from 'node:http';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../src/testing';

/** The proxy of the fault tests, against a plain HTTP server that counts what it did. */
describe('startTcpProxy', () => {
  let server: Server;
  let proxy: TcpProxy;
  let agent: Agent;
  const handled: string[] = [];

  beforeAll(async () => {
    server = createServer((incoming, answer) => {
      let body = '';
      incoming.on('data', (chunk) => (body += chunk));
      incoming.on('end', () => {
        handled.push(`${incoming.method} ${incoming.url} ${body}`);
        answer.writeHead(200, { 'Content-Type': 'text/plain' }).end(`done ${incoming.url}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = await startTcpProxy(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
    agent = new Agent({ connections: 1 });
  });

  // One keep-alive connection for every call, as the project's clients use.
  const send = (method: 'GET' | 'POST', path: string, body?: string) =>
    request(proxy.url + path, { method, body, dispatcher: agent }).then(
      async (answer) => ({ status: answer.statusCode, text: await answer.body.text() }),
      (error: { code?: string }) => ({ status: 0, text: error.code ?? String(error) }),
    );

  afterEach(() => {
    proxy.forwardAll();
    handled.length = 0;
  });
  afterAll(async () => {
    await agent.close();
    await proxy.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('when nothing is to be lost, then requests and bodies on one connection pass both ways and are recorded', async () => {
    const before = proxy.requests.length;
    const answers = [
      await send('POST', '/orders/1/confirm?x=1', 'GET /looks-like-a-request HTTP/1.1\r\n\r\n'),
      await send('GET', '/orders/1'),
    ];
    expect(answers).toEqual([
      { status: 200, text: 'done /orders/1/confirm?x=1' },
      { status: 200, text: 'done /orders/1' },
    ]);
    // The body that looks like a request head is skipped by its Content-Length.
    expect(proxy.requests.slice(before)).toEqual(['POST /orders/1/confirm', 'GET /orders/1']);
  });

  it('when an answer is to be lost, then the server does the work, the caller gets a reset, and only as many times as asked', async () => {
    proxy.loseAnswers(/^POST \/orders\/\d+\/confirm$/, 1);
    const lostBefore = proxy.lostAnswers;

    const lost = await send('POST', '/orders/2/confirm', '{}');
    const other = await send('GET', '/orders/2');
    const again = await send('POST', '/orders/2/confirm', '{}');

    expect(lost).toEqual({ status: 0, text: 'ECONNRESET' });
    expect(handled[0]).toBe('POST /orders/2/confirm {}');
    expect([other.status, again.status]).toEqual([200, 200]);
    expect(proxy.lostAnswers - lostBefore).toBe(1);
  });
});
