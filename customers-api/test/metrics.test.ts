import { describe, expect, it } from 'vitest';
import { metricChanges, scrapeMetrics, seriesKey, TEST_AUTH } from '@b2b/service-kit/testing';
import { useCustomersApi } from './helpers';
import { createOperator, logIn, SMALL_THROTTLE_POLICY } from './log-in';

/**
 * GET /metrics of the Customers API: scraped before and after a known sequence of
 * requests, the counters must have moved by exactly what that sequence does.
 */

const api = useCustomersApi({ loginThrottlePolicy: SMALL_THROTTLE_POLICY });

const requests = (operation: string, method: string, status: number, count: number) => ({
  [seriesKey('http_requests_total', { operation, method, status })]: count,
  [seriesKey('http_request_duration_seconds_count', { operation, method, status })]: count,
});

describe('GET /metrics', () => {
  it('when operators log in, fail and get throttled, then the log-in and request counters move by exactly that much', async () => {
    await createOperator(api, 'metrics-operator', 'metrics-operator-password');
    const right = { username: 'metrics-operator', password: 'metrics-operator-password' };
    const wrong = { username: 'metrics-intruder', password: 'not-the-password' };
    const before = await scrapeMetrics(api.client);

    const statuses: number[] = [];
    statuses.push((await logIn(api.baseUrl, right)).status);
    // SMALL_THROTTLE_POLICY: 3 consecutive failures of one username and address lock it out.
    for (let attempt = 1; attempt <= SMALL_THROTTLE_POLICY.consecutiveFailures + 1; attempt += 1) {
      statuses.push((await logIn(api.baseUrl, wrong)).status);
    }
    statuses.push((await api.client.get('/customers/not-a-number', { token: api.token })).status);
    const after = await scrapeMetrics(api.client);

    expect(statuses).toEqual([200, 401, 401, 401, 429, 400]);
    expect(metricChanges(before, after, ['login_attempts_total'])).toEqual({
      [seriesKey('login_attempts_total', { outcome: 'succeeded' })]: 1,
      [seriesKey('login_attempts_total', { outcome: 'invalid_credentials' })]: 3,
      [seriesKey('login_attempts_total', { outcome: 'throttled' })]: 1,
    });
    expect(
      metricChanges(before, after, ['http_requests_total', 'http_request_duration_seconds_count']),
    ).toEqual({
      ...requests('getMetrics', 'GET', 200, 1),
      ...requests('issueToken', 'POST', 200, 1),
      ...requests('issueToken', 'POST', 401, 3),
      ...requests('issueToken', 'POST', 429, 1),
      ...requests('getCustomer', 'GET', 400, 1),
    });
  });

  it('when called without the service token, then 401; with an operator JWT, 403', async () => {
    const anonymous = await api.client.get('/metrics');
    const operator = await api.client.get('/metrics', { token: api.token });
    const service = await api.client.get('/metrics', { token: TEST_AUTH.serviceToken });

    expect([anonymous.status, operator.status, service.status]).toEqual([401, 403, 200]);
    expect(service.text).toContain('# TYPE login_attempts_total counter');
  });
});
