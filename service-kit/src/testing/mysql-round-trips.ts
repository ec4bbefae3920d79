import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a MySQL/MariaDB server that counts the statements clients send as
 * the server sees them: COM_QUERY packets, each one round trip, however many statements its
 * text holds (BEGIN and COMMIT included).
 */
export interface MySqlRoundTripCounter {
  /** The database URL to connect through (the target URL with the proxy's host and port). */
  url: string;
  /** COM_QUERY packets sent through the proxy so far, by every connection. */
  readonly queries: number;
  close(): Promise<void>;
}

const COM_QUERY = 0x03;

/**
 * Calls `onCommand` with the command byte of each packet a client starts a command with
 * (sequence id 0), reading the MySQL packet framing: 3-byte little-endian payload length,
 * 1-byte sequence id, payload.
 */
function commandReader(onCommand: (command: number) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 5) {
      const payloadLength = pending.readUIntLE(0, 3);
      if (pending.length < 4 + payloadLength) return;
      if (pending[3] === 0) onCommand(pending[4]!);
      pending = pending.subarray(4 + payloadLength);
    }
  };
}

/** Starts the counter on 127.0.0.1 (a free port) in front of `databaseUrl` (mysql://…, explicit host). */
export async function startMySqlRoundTripCounter(databaseUrl: string): Promise<MySqlRoundTripCounter> {
  const target = new URL(databaseUrl);
  const sockets = new Set<Socket>();
  let queries = 0;
  const server = createServer((client) => {
    const database = connect({ host: target.hostname, port: Number(target.port || 3306) });
    for (const socket of [client, database]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on(
      'data',
      commandReader((command) => {
        if (command === COM_QUERY) queries += 1;
      }),
    );
    client.pipe(database).pipe(client);
    client.once('close', () => database.destroy());
    database.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const proxied = new URL(databaseUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(typeof address === 'object' && address ? address.port : 0);
  return {
    url: proxied.toString(),
    get queries() {
      return queries;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
