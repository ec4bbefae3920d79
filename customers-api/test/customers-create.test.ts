import { describe, expect, it } from 'vitest';
import { buildCustomer, useCustomersApi } from './helpers';

const api = useCustomersApi();

describe('POST /customers', () => {
  it('when a valid customer is posted, then 201 with the customer and its Location', async () => {
    const input = buildCustomer();

    const response = await api.client.post('/customers', { token: api.token, body: input });

    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(Number),
      name: input.name,
      email: input.email,
      phone: input.phone,
      created_at: expect.any(String),
      updated_at: response.body.created_at,
    });
    expect(response.headers.get('location')).toBe(`/customers/${response.body.id}`);
    const fetched = await api.client.get(response.headers.get('location')!, { token: api.token });
    expect(fetched.body).toEqual(response.body);
  });

  it('when the phone is omitted or null, then the customer has a null phone', async () => {
    const { phone: _phone, ...withoutPhone } = buildCustomer();

    const omitted = await api.client.post('/customers', { token: api.token, body: withoutPhone });
    const explicitNull = await api.client.post('/customers', {
      token: api.token,
      body: buildCustomer({ phone: null }),
    });

    expect(omitted.status).toBe(201);
    expect(omitted.body.phone).toBeNull();
    expect(explicitNull.status).toBe(201);
    expect(explicitNull.body.phone).toBeNull();
  });

  it('when the email is already taken in another letter case, then 409 EMAIL_TAKEN', async () => {
    const first = buildCustomer({ email: `Ana.${Date.now()}@Acme.example` });
    await api.client.post('/customers', { token: api.token, body: first });

    const response = await api.client.post('/customers', {
      token: api.token,
      body: buildCustomer({ email: first.email.toLowerCase() }),
    });

    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 409, code: 'EMAIL_TAKEN', instance: '/customers' });
  });

  it('when 20 requests race to create one email, then exactly one 201 and nineteen 409', async () => {
    const email = buildCustomer().email;

    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        api.client.post('/customers', {
          token: api.token,
          body: buildCustomer({ email, name: `Racer ${index}` }),
        }),
      ),
    );

    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, ...Array<number>(19).fill(409)]);
    expect(responses.filter((response) => response.status === 409).map((r) => r.body.code)).toEqual(
      Array<string>(19).fill('EMAIL_TAKEN'),
    );
  });

  it.each([
    ['the email is not an email', { email: 'not-an-email' }, 'body.email'],
    ['the name is empty', { name: '' }, 'body.name'],
    ['the phone has letters', { phone: 'call me' }, 'body.phone'],
    ['an unknown field is sent', { isVip: true }, 'body.isVip'],
  ])('when %s, then 400 VALIDATION_FAILED naming the field', async (_case, overrides, field) => {
    const response = await api.client.post('/customers', {
      token: api.token,
      body: buildCustomer(overrides),
    });

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field }));
  });

  it('when required fields are missing, then 400 listing every one of them', async () => {
    const response = await api.client.post('/customers', { token: api.token, body: {} });

    expect(response.status).toBe(400);
    const fields = response.body.errors.map((error: { field: string }) => error.field);
    expect(fields).toEqual(expect.arrayContaining(['body.name', 'body.email']));
  });

  it('when a number is sent where a string is expected, then 400 (the body is never coerced)', async () => {
    const response = await api.client.post('/customers', {
      token: api.token,
      body: buildCustomer({ name: 42 }),
    });

    expect(response.status).toBe(400);
  });
});
