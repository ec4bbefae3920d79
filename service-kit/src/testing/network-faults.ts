import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';

/**
 * Upstreams that fail at the network edge, for the 502/503/504 a part documents: point a
 * part's upstream (or DATABASE_URL) at one of these and it must answer as its contract says.
 */

/** Lowest port the kernel hands out by itself (Linux's ip_local_port_range; 32768 elsewhere). */
function lowestEphemeralPort(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    return Number(low) || 32_768;
  } catch {
    return 32_768;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port on 127.0.0.1 where nothing listens: a connection is refused at once, like an API
 * or database that is down. It is chosen below the ephemeral range, so that no later
 * `listen(0)` in the run (freePort, a silent server, a started part) and no outgoing
 * connection's own port can turn out to be it; a port in that range once made the
 * "upstreams down" instances meet a silent server instead (504 where 502 was due).
 */
export async function closedPort(): Promise<number> {
  const highest = lowestEphemeralPort() - 1;
  const lowest = 10_000;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = lowest + Math.floor(Math.random() * (highest - lowest));
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port between ${lowest} and ${highest}`);
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
