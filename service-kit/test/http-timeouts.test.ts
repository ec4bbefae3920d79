import { connect, type Socket } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type DrainableServer } from '../src';

// Node's defaults held an idle or slow client ~88 s (headersTimeout 60 s, checked every 30 s).
const TIMEOUTS = { headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutMs: 1000 };
// The check runs every second; the rest is room for a busy machine.
const SLACK_MS = 1000 + 1500;

let running: DrainableServer;

beforeAll(async () => {
  const app = express();
  app.get('/', (_request, response) => {
    response.json({ ok: true });
  });
  app.post('/', express.json(), (_request, response) => {
    response.json({ ok: true });
  });
  running = await listen(app, { timeouts: TIMEOUTS });
});

afterAll(async () => {
  await running?.close();
});

/** A raw connection to the server, recording what it receives and when the server closes it. */
function rawConnection(): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  const { port } = new URL(running.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    const openedAt = performance.now();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    const closed = new Promise<number>((done) =>
      socket.on('close', () => done(performance.now() - openedAt)),
    );
    socket.once('error', reject);
    socket.once('connect', () => resolve({ socket, received: () => received, closed }));
  });
}

describe('listen, with deliberate timeouts', () => {
  it('when a client sends its headers too slowly, then it is answered 408 problem+json and closed within the headers timeout', async () => {
    const { socket, received, closed } = await rawConnection();

    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n');
    const closedAfterMs = await closed;

    expect(received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(received()).toContain('Content-Type: application/problem+json');
    expect(received()).toContain('"code":"REQUEST_TIMEOUT"');
    expect(closedAfterMs).toBeGreaterThanOrEqual(TIMEOUTS.headersTimeoutMs - 50);
    expect(closedAfterMs).toBeLessThan(TIMEOUTS.headersTimeoutMs + SLACK_MS);
  });

  it('when a client sends its body too slowly, then it is answered 408 within the request timeout', async () => {
    const { socket, received, closed } = await rawConnection();

    socket.write(
      'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
    );
    const closedAfterMs = await closed;

    expect(received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(closedAfterMs).toBeLessThan(TIMEOUTS.requestTimeoutMs + SLACK_MS);
  });

  it('when a keep-alive connection stays idle, then the server closes it after the keep-alive timeout and says so in Keep-Alive', async () => {
    const { socket, received, closed } = await rawConnection();

    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const closedAfterMs = await closed;

    expect(received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(received()).toContain('Keep-Alive: timeout=1');
    expect(closedAfterMs).toBeLessThan(TIMEOUTS.keepAliveTimeoutMs + SLACK_MS);
  });
});
