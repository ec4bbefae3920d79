import path from 'node:path';
import { expect } from 'vitest';
import { document } from '@b2b/contracts/orchestrator';
import { TEST_AUTH } from '@b2b/service-kit/testing';
import type { OrchestratorConfig } from '../../src/config';
import type { ApiGatewayProxyEvent, ApiGatewayProxyResult } from '../../src/http-event';
import { ContractValidator } from '@b2b/service-kit';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const ORCHESTRATOR_DIR = path.join(ROOT, 'lambda-orchestrator');
export const ORCHESTRATOR_CONTRACT = document;
export const ORCHESTRATOR_PATH = '/orchestrator/create-and-confirm-order';

/** Settings for a handler under test: test secrets, short timeouts and backoff. */
export function testConfig(overrides: Partial<OrchestratorConfig> = {}): OrchestratorConfig {
  return {
    environment: 'test',
    ordersApiBase: 'http://127.0.0.1:1',
    auth: TEST_AUTH,
    upstreamTimeoutMs: 2_000,
    retry: { retries: 2, baseDelayMs: 10, maxDelayMs: 50 },
    logLevel: 'silent',
    corsAllowedOrigins: [],
    ...overrides,
  };
}

/** A hand-built API Gateway REST proxy event for POST /orchestrator/create-and-confirm-order. */
export function orchestratorEvent(
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): ApiGatewayProxyEvent {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  return {
    httpMethod: 'POST',
    path: ORCHESTRATOR_PATH,
    headers,
    body:
      options.body === undefined
        ? null
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
    isBase64Encoded: false,
  };
}

const validator = new ContractValidator(ORCHESTRATOR_CONTRACT);

/** Checks a handler result against the orchestrator contract and returns its parsed body. */
export function expectContractResult(result: ApiGatewayProxyResult): any {
  const body = JSON.parse(result.body);
  expect(
    validator.response(
      'post',
      ORCHESTRATOR_PATH,
      result.statusCode,
      result.headers['Content-Type'] ?? null,
      body,
    ),
  ).toEqual([]);
  return body;
}

let sequence = 0;
/** A fresh idempotency key per call, so no test depends on another's keys. */
export const uniqueKey = (label = 'order') => `${label}-${Date.now().toString(36)}-${(sequence += 1)}`;
