import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORS_MAX_AGE_SECONDS, CORS_REQUEST_HEADERS, CORS_RESPONSE_HEADERS } from '@b2b/service-kit';
import type { ChildService } from '@b2b/service-kit/testing';
import { startOfflineOrchestrator } from '@b2b/lambda-orchestrator/testing';
import { createHandler } from '../src/handler';
import { ORCHESTRATOR_PATH, orchestratorEvent, testConfig } from './support/orchestrator';

/**
 * The orchestrator's CORS policy is the APIs' (service-kit createServiceApp): off unless
 * CORS_ALLOWED_ORIGINS lists the page's origin, never with credentials. Tested through
 * serverless-offline, which on its own answered every Origin with itself and
 * `Access-Control-Allow-Credentials: true`. No upstream is reached: every call here is
 * answered before one would be (401, or the preflight).
 */
const LISTED = 'https://console.example';
const UNLISTED = 'https://attacker.example';

describe('CORS of the orchestrator under serverless-offline', () => {
  let orchestrator: ChildService;
  let url: string;

  beforeAll(async () => {
    const offline = await startOfflineOrchestrator({
      ordersApiBase: 'http://127.0.0.1:1',
      env: { CORS_ALLOWED_ORIGINS: `${LISTED},http://127.0.0.1:5173` },
    });
    orchestrator = offline.service;
    url = offline.url;
  });

  afterAll(async () => {
    await orchestrator?.stop();
  });

  /** A call as a page on `origin` makes it: no token, so the handler answers 401 at once. */
  const post = (origin: string) =>
    fetch(url + ORCHESTRATOR_PATH, {
      method: 'POST',
      headers: { Origin: origin, 'Content-Type': 'application/json' },
      body: '{}',
    });

  /** The browser's preflight for the console's POST (JSON, a bearer token, an idempotency key). */
  const preflight = (origin: string, path = ORCHESTRATOR_PATH) =>
    fetch(url + path, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type,x-correlation-id,x-idempotency-key',
      },
    });

  const corsHeadersOf = (response: Response) =>
    [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));

  it('when a page of an unlisted origin calls, then the answer allows neither it nor credentials', async () => {
    const response = await post(UNLISTED);

    expect(response.status, orchestrator.output()).toBe(401);
    expect(corsHeadersOf(response)).toEqual([]);
  });

  it('when a page of a listed origin calls, then the answer allows that origin, exposes the APIs headers, and no credentials', async () => {
    const response = await post(LISTED);

    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe(LISTED);
    expect(response.headers.get('access-control-expose-headers')).toBe(CORS_RESPONSE_HEADERS.join(','));
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/i);
  });

  it('when an unlisted origin sends the preflight, then it is not allowed anything', async () => {
    const response = await preflight(UNLISTED);

    expect(response.status).toBe(204);
    expect(corsHeadersOf(response)).toEqual([]);
  });

  it('when a listed origin sends the preflight, then the APIs policy: its origin, POST, the four request headers, 600 s, no credentials', async () => {
    const response = await preflight(LISTED);

    expect(response.status).toBe(204);
    expect(
      Object.fromEntries(corsHeadersOf(response).map((name) => [name, response.headers.get(name)])),
    ).toEqual({
      'access-control-allow-origin': LISTED,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': CORS_REQUEST_HEADERS.join(','),
      'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
    });
    expect(response.headers.get('vary')).toMatch(/\bOrigin\b/i);
  });

  it('when a path it does not serve is called from any origin, then serverless-offline adds no CORS headers of its own', async () => {
    const responses = await Promise.all([
      preflight(LISTED, '/no-such-path'),
      fetch(`${url}/no-such-path`, { headers: { Origin: UNLISTED } }),
    ]);

    for (const response of responses) expect(corsHeadersOf(response)).toEqual([]);
  });
});

describe('CORS of the orchestrator with no CORS_ALLOWED_ORIGINS (the default)', () => {
  const handle = createHandler(testConfig());

  it.each(['POST', 'OPTIONS'])(
    'when a page of any origin sends %s, then no CORS header and no Vary: cross-origin access is off',
    async (httpMethod) => {
      const event = {
        ...orchestratorEvent({ headers: { Origin: LISTED, 'Access-Control-Request-Method': 'POST' } }),
        httpMethod,
      };

      const result = await handle(event);

      if (httpMethod === 'OPTIONS') expect(result.statusCode).toBe(204);
      const names = Object.keys(result.headers).map((name) => name.toLowerCase());
      expect(names.filter((name) => name.startsWith('access-control-') || name === 'vary')).toEqual([]);
      if (httpMethod === 'OPTIONS') expect(result.headers).toMatchObject({ Allow: 'OPTIONS, POST' });
    },
  );
});
