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
      reservationTtlMinutes: 30,
      reservationSweepIntervalSeconds: 60,
      reservationSweepBatchSize: 100,
    });
  });

  it('when the Orders API settings are set, then they are used', () => {
    const config = readOrdersApiConfig({
      CUSTOMERS_API_BASE: 'http://customers:3001',
      CUSTOMERS_API_TIMEOUT_MS: '500',
      IDEMPOTENCY_KEY_TTL_HOURS: '48',
      ORDER_CANCEL_WINDOW_MINUTES: '30',
      ORDER_RESERVATION_TTL_MINUTES: '0',
      ORDER_RESERVATION_SWEEP_INTERVAL_SECONDS: '5',
      ORDER_RESERVATION_SWEEP_BATCH_SIZE: '10',
    });

    expect(config).toMatchObject({
      customersApiBase: 'http://customers:3001',
      customersApiTimeoutMs: 500,
      idempotencyKeyTtlHours: 48,
      cancelWindowMinutes: 30,
      reservationTtlMinutes: 0,
      reservationSweepIntervalSeconds: 5,
      reservationSweepBatchSize: 10,
    });
  });

  it('when values are invalid, then every problem is reported at once', () => {
    const read = () =>
      readOrdersApiConfig({
        CUSTOMERS_API_BASE: 'not a url',
        CUSTOMERS_API_TIMEOUT_MS: '0',
        IDEMPOTENCY_KEY_TTL_HOURS: 'soon',
        ORDER_RESERVATION_TTL_MINUTES: '-1',
        ORDER_RESERVATION_SWEEP_INTERVAL_SECONDS: '0',
      });

    expect(read).toThrow(ConfigError);
    for (const name of [
      'CUSTOMERS_API_BASE',
      'CUSTOMERS_API_TIMEOUT_MS',
      'IDEMPOTENCY_KEY_TTL_HOURS',
      'ORDER_RESERVATION_TTL_MINUTES',
      'ORDER_RESERVATION_SWEEP_INTERVAL_SECONDS',
    ]) {
      expect(read).toThrow(name);
    }
  });
});
