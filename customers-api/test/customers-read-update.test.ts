import { describe, expect, it } from 'vitest';
import { sql } from '@b2b/service-kit';
import { buildCustomer, createCustomerViaApi, UNKNOWN_CUSTOMER_ID, useCustomersApi } from './helpers';

const api = useCustomersApi();

describe('GET /customers/{id}', () => {
  it('when the customer exists, then 200 with it', async () => {
    const customer = await createCustomerViaApi(api);

    const response = await api.client.get(`/customers/${customer.id}`, { token: api.token });

    expect(response.status).toBe(200);
    expect(response.body).toEqual(customer);
  });

  it('when the customer does not exist, then 404 CUSTOMER_NOT_FOUND', async () => {
    const response = await api.client.get(`/customers/${UNKNOWN_CUSTOMER_ID}`, { token: api.token });

    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({
      code: 'CUSTOMER_NOT_FOUND',
      instance: `/customers/${UNKNOWN_CUSTOMER_ID}`,
    });
  });

  it.each(['abc', '0', '-1', '1.5', '9007199254740992'])(
    'when the id is %s, then 400 naming path.id',
    async (id) => {
      const response = await api.client.get(`/customers/${id}`, { token: api.token });

      expect(response.status).toBe(400);
      expect(response.body.errors).toContainEqual(expect.objectContaining({ field: 'path.id' }));
    },
  );
});

describe('PUT /customers/{id}', () => {
  it('when every field is replaced, then 200 with the new values and a later updated_at', async () => {
    const created = await createCustomerViaApi(api);
    // Timestamps have millisecond precision, so an update right after creation could land in
    // the same millisecond: the customer is made a minute old first.
    await api.db.query(sql`
      UPDATE customers
      SET created_at = created_at - INTERVAL 1 MINUTE, updated_at = updated_at - INTERVAL 1 MINUTE
      WHERE id = ${created.id}`);
    const customer = (await api.client.get(`/customers/${created.id}`, { token: api.token })).body;
    const replacement = buildCustomer({ phone: '+44 20 7946 0958' });

    const response = await api.client.put(`/customers/${customer.id}`, {
      token: api.token,
      body: replacement,
    });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: customer.id, ...replacement, created_at: customer.created_at });
    expect(Date.parse(response.body.updated_at)).toBeGreaterThan(Date.parse(customer.updated_at));
    const fetched = await api.client.get(`/customers/${customer.id}`, { token: api.token });
    expect(fetched.body).toEqual(response.body);
  });

  it('when the phone is omitted, then it becomes null', async () => {
    const customer = await createCustomerViaApi(api);

    const response = await api.client.put(`/customers/${customer.id}`, {
      token: api.token,
      body: { name: customer.name, email: customer.email },
    });

    expect(response.status).toBe(200);
    expect(response.body.phone).toBeNull();
  });

  it('when the customer keeps its own email in another letter case, then 200', async () => {
    const customer = await createCustomerViaApi(api);

    const response = await api.client.put(`/customers/${customer.id}`, {
      token: api.token,
      body: { name: customer.name, email: customer.email.toUpperCase() },
    });

    expect(response.status).toBe(200);
    expect(response.body.email).toBe(customer.email.toUpperCase());
  });

  it("when the new email is another customer's, in any letter case, then 409 EMAIL_TAKEN and nothing changes", async () => {
    const taken = await createCustomerViaApi(api);
    const customer = await createCustomerViaApi(api);

    const response = await api.client.put(`/customers/${customer.id}`, {
      token: api.token,
      body: { name: 'Renamed', email: taken.email.toUpperCase() },
    });

    expect(response.status).toBe(409);
    expect(response.body.code).toBe('EMAIL_TAKEN');
    const unchanged = await api.client.get(`/customers/${customer.id}`, { token: api.token });
    expect(unchanged.body).toEqual(customer);
  });

  it('when the customer does not exist, then 404 CUSTOMER_NOT_FOUND', async () => {
    const response = await api.client.put(`/customers/${UNKNOWN_CUSTOMER_ID}`, {
      token: api.token,
      body: buildCustomer(),
    });

    expect(response.status).toBe(404);
    expect(response.body.code).toBe('CUSTOMER_NOT_FOUND');
  });

  it('when the body is invalid, then 400 VALIDATION_FAILED', async () => {
    const customer = await createCustomerViaApi(api);

    const response = await api.client.put(`/customers/${customer.id}`, {
      token: api.token,
      body: { name: customer.name },
    });

    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field: 'body.email' }));
  });
});
