/**
 * A consumer a warehouse team can copy: it picks every confirmed order from the Orders API's
 * JetStream stream, once, in order per order, and survives its own restarts (a durable
 * consumer remembers what it acknowledged). README "Events".
 *
 *   npx tsx examples/warehouse-consumer.ts            # NATS_URL, default nats://127.0.0.1:4222
 *
 * Delivery is at least once: JetStream redelivers what was not acknowledged, and the relay may
 * publish an event again after a crash. So the handler is idempotent by construction here: it
 * remembers the last subjectsequence it applied per order (a real warehouse keeps that in its
 * own database, in the same transaction as the pick list) and skips anything not newer.
 */
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { OrderConfirmedEvent } from '@b2b/contracts/events';

export interface WarehouseConsumerOptions {
  servers: string;
  /** B2B_ORDERS, and its subject for confirmed orders. */
  stream: string;
  subject: string;
  /** The durable consumer's name: where JetStream keeps this consumer's position. */
  durable: string;
  /** Picks the order; throwing leaves the event unacknowledged, so it comes again. */
  pick: (event: OrderConfirmedEvent) => Promise<void>;
}

export async function startWarehouseConsumer(options: WarehouseConsumerOptions) {
  const connection = await connect({ servers: options.servers });
  const manager = await jetstreamManager(connection);
  await manager.consumers.add(options.stream, {
    durable_name: options.durable,
    ack_policy: AckPolicy.Explicit,
    filter_subject: options.subject,
  });
  const consumer = await jetstream(connection).consumers.get(options.stream, options.durable);
  const messages = await consumer.consume();
  const appliedSequence = new Map<string, number>();
  const done = (async () => {
    for await (const message of messages) {
      const event = message.json<OrderConfirmedEvent>();
      try {
        if (event.subjectsequence > (appliedSequence.get(event.subject) ?? 0)) {
          await options.pick(event);
          appliedSequence.set(event.subject, event.subjectsequence);
        }
        message.ack();
      } catch {
        message.nak(5_000); // Try this one again in 5 s.
      }
    }
  })();
  return {
    async stop() {
      messages.stop();
      await done;
      await connection.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const consumer = await startWarehouseConsumer({
    servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    stream: 'B2B_ORDERS',
    subject: 'b2b.orders.order.confirmed',
    durable: 'warehouse',
    pick: async (event) => {
      const lines = event.data.items.map((item) => `${item.qty} × ${item.sku}`).join(', ');
      console.log(`pick order ${event.data.id} for ${event.data.customer.name}: ${lines}`);
    },
  });
  process.once('SIGINT', () => void consumer.stop());
}
