import { describe, expect, it } from 'vitest';
import { TEST_AUTH } from '@b2b/service-kit/testing';
import { buildCustomer, createCustomerViaApi, useCustomersApi } from './helpers';

const api = useCustomersApi();

describe('DELETE /customers/{id}', () => {
  it('when a customer is deleted, then 204 with no body', async () => {
    const customer = await createCustomerViaApi(api);

    const response = await api.client.delete(`/customers/${customer.id}`, { token: api.token });

    expect(response.status).toBe(204);
    expect(response.text).toBe('');
  });

  it('when a customer was deleted, then get, replace, delete and the internal lookup answer 404', async () => {
    const customer = await createCustomerViaApi(api);
    await api.client.delete(`/customers/${customer.id}`, { token: api.token });

    const responses = [
      await api.client.get(`/customers/${customer.id}`, { token: api.token }),
      await api.client.put(`/customers/${customer.id}`, { token: api.token, body: buildCustomer() }),
      await api.client.delete(`/customers/${customer.id}`, { token: api.token }),
      await api.client.get(`/internal/customers/${customer.id}`, { token: TEST_AUTH.serviceToken }),
    ];

    for (const response of responses) {
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('CUSTOMER_NOT_FOUND');
    }
  });

  it('when a customer was deleted, then it no longer appears in the list', async () => {
    const customer = await createCustomerViaApi(api);
    await api.client.delete(`/customers/${customer.id}`, { token: api.token });

    const response = await api.client.get(`/customers?search=${encodeURIComponent(customer.email)}`, {
      token: api.token,
    });

    expect(response.status).toBe(200);
    expect(response.body.data).toEqual([]);
  });

  it('when a customer was deleted, then its email can be used by a new customer', async () => {
    const customer = await createCustomerViaApi(api);
    await api.client.delete(`/customers/${customer.id}`, { token: api.token });

    const response = await api.client.post('/customers', {
      token: api.token,
      body: buildCustomer({ email: customer.email.toUpperCase() }),
    });

    expect(response.status).toBe(201);
    expect(response.body.id).not.toBe(customer.id);
  });

  it('when two deletes of one customer race, then one 204 and one 404', async () => {
    const customer = await createCustomerViaApi(api);

    const responses = await Promise.all([
      api.client.delete(`/customers/${customer.id}`, { token: api.token }),
      api.client.delete(`/customers/${customer.id}`, { token: api.token }),
    ]);

    expect(responses.map((response) => response.status).sort()).toEqual([204, 404]);
  });
});
