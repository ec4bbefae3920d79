import { describe, expect, it } from 'vitest';
import { TEST_AUTH } from '@b2b/service-kit/testing';
import { createCustomerViaApi, UNKNOWN_CUSTOMER_ID, useCustomersApi } from './helpers';

const api = useCustomersApi();

describe('GET /internal/customers/{id}', () => {
  it('when the service token asks for a customer, then 200 with the same representation as the public GET', async () => {
    const customer = await createCustomerViaApi(api);

    const internal = await api.client.get(`/internal/customers/${customer.id}`, {
      token: TEST_AUTH.serviceToken,
    });
    const operatorView = await api.client.get(`/customers/${customer.id}`, { token: api.token });

    expect(internal.status).toBe(200);
    expect(internal.body).toEqual(operatorView.body);
  });

  it('when the customer does not exist, then 404 CUSTOMER_NOT_FOUND', async () => {
    const response = await api.client.get(`/internal/customers/${UNKNOWN_CUSTOMER_ID}`, {
      token: TEST_AUTH.serviceToken,
    });

    expect(response.status).toBe(404);
    expect(response.body.code).toBe('CUSTOMER_NOT_FOUND');
  });

  it('when the id is not a positive integer, then 400', async () => {
    const response = await api.client.get('/internal/customers/abc', { token: TEST_AUTH.serviceToken });

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
  });
});
