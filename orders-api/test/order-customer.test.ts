import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type System } from './helpers';

/** An order keeps its buyer as they were when it was placed (`customer`, a snapshot). */
let system: System;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => {
  await system?.stop();
});

async function createNamedCustomer() {
  const body = {
    name: 'Initech Office Solutions',
    email: `${randomUUID()}@initech.example`,
    phone: '+1 555 0100',
  };
  const response = await system.customersApi.post('/customers', { token: system.token, body });
  expect(response.status, response.text).toBe(201);
  return response.body as { id: number; name: string; email: string; phone: string | null };
}

describe('the customer of an order', () => {
  it('when an order is placed, then it carries the customer’s id, name, email and phone', async () => {
    const customer = await createNamedCustomer();
    const product = await system.createProduct();

    const placed = await system.placeOrder({
      customer_id: customer.id,
      items: [{ product_id: product.id, qty: 1 }],
    });

    expect(placed.status, placed.text).toBe(201);
    const snapshot = { id: customer.id, name: customer.name, email: customer.email, phone: customer.phone };
    expect(placed.body.customer).toEqual(snapshot);
    expect(
      (await system.api.get(`/orders/${placed.body.id}`, { token: system.token })).body.customer,
    ).toEqual(snapshot);
  });

  it('when the customer is renamed and then deleted, then the order still shows them as they were when it was placed, in the order and in the list', async () => {
    const customer = await createNamedCustomer();
    const product = await system.createProduct();
    const placed = await system.placeOrder({
      customer_id: customer.id,
      items: [{ product_id: product.id, qty: 1 }],
    });
    const renamed = await system.customersApi.put(`/customers/${customer.id}`, {
      token: system.token,
      body: { name: 'Initrode', email: customer.email, phone: null },
    });
    expect(renamed.status, renamed.text).toBe(200);
    const deleted = await system.customersApi.delete(`/customers/${customer.id}`, { token: system.token });
    expect(deleted.status).toBe(204);

    const read = await system.api.get(`/orders/${placed.body.id}`, { token: system.token });
    const listed = await system.api.get('/orders?limit=100', { token: system.token });

    const asPlaced = {
      id: customer.id,
      name: 'Initech Office Solutions',
      email: customer.email,
      phone: '+1 555 0100',
    };
    expect(read.body.customer).toEqual(asPlaced);
    expect(listed.body.data.find((order: { id: number }) => order.id === placed.body.id).customer).toEqual(
      asPlaced,
    );
  });

  it('when a keyed order is retried after its customer was deleted, then the stored 201 is replayed, not 422', async () => {
    const customer = await createNamedCustomer();
    const product = await system.createProduct();
    const body = { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] };
    const headers = { 'X-Idempotency-Key': randomUUID() };
    const first = await system.placeOrder(body, headers);
    await system.customersApi.delete(`/customers/${customer.id}`, { token: system.token });

    const retry = await system.placeOrder(body, headers);

    expect(retry.status).toBe(201);
    expect(retry.text).toBe(first.text);
  });
});
