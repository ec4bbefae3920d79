import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderConfirmedEvent } from '@b2b/contracts/events';
import { pollUntil } from '@b2b/service-kit/testing';
import { startWarehouseConsumer } from '../warehouse-consumer';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** An order.confirmed envelope as the Orders API publishes it (contracts/events.yaml). */
function confirmed(orderId: number): OrderConfirmedEvent {
  const at = '2026-12-06T10:00:00.000Z';
  return {
    specversion: '1.0',
    id: randomUUID(),
    type: 'order.confirmed',
    source: '/b2b/orders-api',
    subject: `orders/${orderId}`,
    subjectsequence: 2,
    time: at,
    datacontenttype: 'application/json',
    correlationid: randomUUID(),
    data: {
      id: orderId,
      customer_id: 1,
      customer: { id: 1, name: 'Acme', email: 'buyer@acme.example', phone: null },
      status: 'CONFIRMED',
      total_cents: 1450,
      created_at: at,
      updated_at: at,
      confirmed_at: at,
      canceled_at: null,
      cancel_source: null,
      cancel_reason: null,
      items: [
        { product_id: 1, sku: 'PAL-1', name: 'Pallet', qty: 1, unit_price_cents: 1450, subtotal_cents: 1450 },
      ],
    },
  };
}

describe('the example warehouse consumer (examples/warehouse-consumer.ts) on JetStream', () => {
  const stream = `TEST_WAREHOUSE_${randomUUID().slice(0, 8).toUpperCase()}`;
  const subject = `test.${stream.toLowerCase()}.order.confirmed`;
  let connection: NatsConnection;

  beforeAll(async () => {
    connection = await connect({ servers: NATS_URL });
    const manager = await jetstreamManager(connection);
    await manager.streams.add({ name: stream, subjects: [subject] });
  });

  afterAll(async () => {
    const manager = await jetstreamManager(connection);
    await manager.streams.delete(stream).catch(() => undefined);
    await connection.close();
  });

  it('when an event arrives twice (a re-publish under another message id), then the order is picked once; a restarted consumer picks only what is new', async () => {
    const js = jetstream(connection);
    const first = confirmed(101);
    await js.publish(subject, JSON.stringify(first));
    await js.publish(subject, JSON.stringify(confirmed(102)));
    // At least once: the same event again, as a consumer may see it.
    await js.publish(subject, JSON.stringify(first));

    const picked: number[] = [];
    const options = {
      servers: NATS_URL,
      stream,
      subject,
      durable: 'warehouse',
      pick: async (event: OrderConfirmedEvent) => void picked.push(event.data.id),
    };
    const consumer = await startWarehouseConsumer(options);
    const manager = await jetstreamManager(connection);
    // Every message acknowledged: nothing pending for the durable consumer.
    await pollUntil(
      'the consumer acknowledged all three messages',
      async () =>
        (await manager.consumers.info(stream, 'warehouse')).ack_floor.stream_seq === 3 ? true : undefined,
      { timeoutMs: 10_000 },
    );
    await consumer.stop();
    expect(picked).toEqual([101, 102]);

    await js.publish(subject, JSON.stringify(confirmed(103)));
    const restarted = await startWarehouseConsumer(options);
    await pollUntil(
      'the restarted consumer picked order 103',
      async () => (picked.includes(103) ? true : undefined),
      {
        timeoutMs: 10_000,
      },
    );
    await restarted.stop();
    expect(picked).toEqual([101, 102, 103]);
  });
});
