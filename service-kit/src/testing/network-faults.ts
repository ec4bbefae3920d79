import { createServer, type Socket } from 'node:net';
import { freePort } from './processes';

/**
 * Upstreams that fail at the network edge, for the 502/503/504 a part documents: point a
 * part's upstream (or DATABASE_URL) at one of these and it must answer as its contract says.
 */

/**
 * A port on 127.0.0.1 where nothing listens: a connection is refused at once, like an API
 * or database that is down. The OS has just confirmed that nothing listens there; like any
 * port freePort returns, it stays closed unless something binds it later.
 */
export function closedPort(): Promise<number> {
  return freePort();
}

export interface SilentServer {
  port: number;
  /** `http://127.0.0.1:<port>`, for a base-URL setting. */
  url: string;
  /** Connections accepted so far: proof that a caller did reach it. */
  readonly connections: number;
  /** Drops every held connection and stops listening. */
  close(): Promise<void>;
}

/**
 * A TCP server that accepts every connection and never sends a byte: an upstream that hangs,
 * so only the caller's own timeout ends the call.
 */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    // The caller gives up by resetting the connection; that is expected, not an error.
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
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
    get connections() {
      return connections;
    },
    close() {
      // server.close() waits for open connections, and these never end on their own.
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
