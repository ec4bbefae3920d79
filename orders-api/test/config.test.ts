import { describe, expect, it } from 'vitest';
import { ConfigError } from '@b2b/service-kit';
import { readOrdersApiConfig } from '../src/config';

describe('readOrdersApiConfig', () => {
  it('when nothing is set in development, then the documented defaults apply', () => {
    const config = readOrdersApiConfig({});

    expect(config).toMatchObject({
      port: 3002,
      customersApiBase: 'http://127.0.0.1:3001',
      customersApiTimeoutMs: 3000,
      idempotencyKeyTtlHours: 24,
      cancelWindowMinutes: 10,
    });
  });

  it('when the Orders API settings are set, then they are used', () => {
    const config = readOrdersApiConfig({
      CUSTOMERS_API_BASE: 'http://customers:3001',
      CUSTOMERS_API_TIMEOUT_MS: '500',
      IDEMPOTENCY_KEY_TTL_HOURS: '48',
      ORDER_CANCEL_WINDOW_MINUTES: '30',
    });

    expect(config).toMatchObject({
      customersApiBase: 'http://customers:3001',
      customersApiTimeoutMs: 500,
      idempotencyKeyTtlHours: 48,
      cancelWindowMinutes: 30,
    });
  });

  it('when values are invalid, then every problem is reported at once', () => {
    const read = () =>
      readOrdersApiConfig({
        CUSTOMERS_API_BASE: 'not a url',
        CUSTOMERS_API_TIMEOUT_MS: '0',
        IDEMPOTENCY_KEY_TTL_HOURS: 'soon',
      });

    expect(read).toThrow(ConfigError);
    for (const name of ['CUSTOMERS_API_BASE', 'CUSTOMERS_API_TIMEOUT_MS', 'IDEMPOTENCY_KEY_TTL_HOURS']) {
      expect(read).toThrow(name);
    }
  });
});
