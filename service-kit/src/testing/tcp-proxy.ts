import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy for fault tests: it forwards bytes between a part and the HTTP/1.1 service it
 * calls, and can lose chosen answers. A lost answer is the fault that makes a call
 * ambiguous: the service received the request and did its work, but the caller's
 * connection is reset before the first byte of the answer reaches it.
 */
export interface TcpProxy {
  port: number;
  /** `http://127.0.0.1:<port>`, for a base-URL setting. */
  url: string;
  /** "METHOD /path" (no query) of every request that went through, in order. */
  readonly requests: readonly string[];
  /** How many answers were lost so far. */
  readonly lostAnswers: number;
  /**
   * From now on, a request whose "METHOD /path" matches `request` is forwarded, and the
   * connection (to the caller and to the service) is reset as soon as the service starts
   * answering it. `times` bounds how many answers are lost (default: all of them).
   */
  loseAnswers(request: RegExp, times?: number): void;
  /** Forwards every answer again. */
  forwardAll(): void;
  /** Closes every open connection and stops listening. */
  close(): Promise<void>;
}

interface LossRule {
  request: RegExp;
  remaining: number;
}

/**
 * Calls `onRequest` with "METHOD /path" for each request head in a connection's bytes from
 * the caller. Bodies are skipped by their Content-Length: enough for the HTTP/1.1 clients
 * of this project (undici sends Content-Length and does not pipeline); a chunked request
 * body would be misread.
 */
function requestHeadReader(onRequest: (line: string) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  let bodyBytesLeft = 0;
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const skipped = Math.min(bodyBytesLeft, pending.length);
      pending = pending.subarray(skipped);
      bodyBytesLeft -= skipped;
      if (bodyBytesLeft > 0) return;
      const headEnd = pending.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const head = pending.subarray(0, headEnd).toString('latin1');
      pending = pending.subarray(headEnd + 4);
      const [requestLine = ''] = head.split('\r\n', 1);
      const [method = '', target = ''] = requestLine.split(' ');
      onRequest(`${method} ${target.split('?')[0]}`);
      bodyBytesLeft = Number(/\r\ncontent-length:[ \t]*(\d+)/i.exec(head)?.[1] ?? 0);
    }
  };
}

/**
 * Starts a proxy on 127.0.0.1 (a free port) in front of `targetUrl` (any URL with a host
 * and an explicit port, e.g. an API's base URL). Every caller connection gets its own
 * connection to the target, so keep-alive and connection reuse behave as without the proxy.
 */
export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port);
  if (!targetPort) throw new Error(`startTcpProxy needs a URL with an explicit port (got ${targetUrl})`);
  const requests: string[] = [];
  const rules: LossRule[] = [];
  const sockets = new Set<Socket>();
  let lostAnswers = 0;

  /** True, and counted, when the answer to `request` is to be lost. */
  function isLost(request: string): boolean {
    const rule = rules.find((candidate) => candidate.remaining > 0 && candidate.request.test(request));
    if (!rule) return false;
    rule.remaining -= 1;
    lostAnswers += 1;
    return true;
  }

  const server = createServer((caller) => {
    const service = connect({ host: target.hostname, port: targetPort });
    for (const socket of [caller, service]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    // The caller's connection carries one request at a time: an answer that begins belongs
    // to the last request read, and only its first bytes decide whether it is lost.
    let unansweredRequest: string | undefined;
    caller.on(
      'data',
      requestHeadReader((request) => {
        requests.push(request);
        unansweredRequest = request;
      }),
    );
    caller.pipe(service);
    service.on('data', (chunk: Buffer) => {
      const beginsAnswerTo = unansweredRequest;
      unansweredRequest = undefined;
      if (beginsAnswerTo !== undefined && isLost(beginsAnswerTo)) {
        caller.resetAndDestroy();
        service.destroy();
        return;
      }
      if (!caller.write(chunk)) service.pause();
    });
    caller.on('drain', () => service.resume());
    service.on('end', () => caller.end());
    // One side failing or closing ends the other: a proxy never holds a half-dead pair.
    caller.on('error', () => service.destroy());
    service.on('error', () => caller.destroy());
    caller.once('close', () => service.destroy());
    service.once('close', () => caller.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    get lostAnswers() {
      return lostAnswers;
    },
    loseAnswers(request, times = Number.POSITIVE_INFINITY) {
      rules.push({ request, remaining: times });
    },
    forwardAll() {
      rules.length = 0;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
