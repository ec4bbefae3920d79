import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsServerBinary, NO_NATS_SERVER, startNatsServer, type NatsServer } from '../src/testing';

// The private server the event tests stop, kill and restart: JetStream state (streams, their
// messages, the duplicate window) must survive a restart on the same store directory.
const hasBinary = natsServerBinary() !== undefined;
if (!hasBinary) console.warn(`nats-server.test.ts skipped: ${NO_NATS_SERVER}`);

describe.skipIf(!hasBinary)('startNatsServer', () => {
  let server: NatsServer;
  // A stream of this run alone (names may not contain '.', '*' or '>').
  const suffix = randomUUID().replaceAll('-', '');
  const stream = `TEST_NATS_SERVER_${suffix}`;
  const subject = `test.nats-server.${suffix}.event`;

  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.destroy();
  });

  /** Runs `work` on a connection of its own, closed afterwards whatever happens. */
  async function withConnection<T>(work: (connection: NatsConnection) => Promise<T>): Promise<T> {
    const connection = await connect({ servers: server.url, reconnect: false });
    try {
      return await work(connection);
    } finally {
      await connection.close();
    }
  }

  it('when started, then it listens on 127.0.0.1 with a store directory of its own', () => {
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    expect(server.port).not.toBe(4222);
    expect(server.pid).toBeGreaterThan(0);
    expect(existsSync(server.storeDirectory)).toBe(true);
  });

  it('when a message is published twice with one msgID, then JetStream stores it once', async () => {
    await withConnection(async (connection) => {
      const manager = await jetstreamManager(connection);
      await manager.streams.add({ name: stream, subjects: [`test.nats-server.${suffix}.>`] });
      const client = jetstream(connection);
      const first = await client.publish(subject, JSON.stringify({ n: 1 }), { msgID: 'event-1' });
      const second = await client.publish(subject, JSON.stringify({ n: 1 }), { msgID: 'event-1' });
      expect(first).toMatchObject({ stream, seq: 1, duplicate: false });
      expect(second).toMatchObject({ stream, seq: 1, duplicate: true });
      expect((await manager.streams.info(stream)).state.messages).toBe(1);
    });
  });

  it('when stopped and started again, then the stream, its message and the duplicate window survive', async () => {
    const { port, storeDirectory } = server;
    await server.stop();
    expect(server.pid).toBeUndefined();
    await server.start();
    expect([server.port, server.storeDirectory]).toEqual([port, storeDirectory]);
    await withConnection(async (connection) => {
      const manager = await jetstreamManager(connection);
      expect((await manager.streams.info(stream)).state.messages).toBe(1);
      const stored = await manager.streams.getMessage(stream, { seq: 1 });
      expect(stored?.subject).toBe(subject);
      expect(stored?.header.get('Nats-Msg-Id')).toBe('event-1');
      expect(stored?.json()).toEqual({ n: 1 });
      const again = await jetstream(connection).publish(subject, JSON.stringify({ n: 1 }), {
        msgID: 'event-1',
      });
      expect(again.duplicate).toBe(true);
    });
  });

  it('when killed (SIGKILL) and started again, then an acknowledged message survives', async () => {
    await withConnection(async (connection) => {
      const ack = await jetstream(connection).publish(subject, JSON.stringify({ n: 2 }), {
        msgID: 'event-2',
      });
      expect(ack).toMatchObject({ seq: 2, duplicate: false });
    });
    await server.kill();
    expect(server.pid).toBeUndefined();
    await server.start();
    await withConnection(async (connection) => {
      const manager = await jetstreamManager(connection);
      expect((await manager.streams.info(stream)).state.messages).toBe(2);
      expect((await manager.streams.getMessage(stream, { seq: 2 }))?.json()).toEqual({ n: 2 });
    });
  });

  it('when destroyed, then the process and its store directory are gone, and a second destroy is harmless', async () => {
    await server.destroy();
    expect(server.pid).toBeUndefined();
    expect(existsSync(server.storeDirectory)).toBe(false);
    await server.destroy();
    await expect(server.start()).rejects.toThrow(/destroyed/);
  });
});
