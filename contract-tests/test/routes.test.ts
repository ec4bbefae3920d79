import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Express } from 'express';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@b2b/service-kit';
import { TEST_AUTH, createTestDatabase, type TestDatabase } from '@b2b/service-kit/testing';
import { createCustomersApp } from '../../customers-api/src/app';
import { createOrdersApp } from '../../orders-api/src/app';
import { ROOT, loadContract, operationsOf, type ContractName } from '../operations';

/**
 * Drift guard: what each part really serves is exactly what its contract declares — no
 * undocumented endpoint, no documented one missing.
 */
interface RouterLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  name?: string;
  rawPath?: string | string[];
  slash?: boolean;
  handle?: { stack?: RouterLayer[] };
}

/** `METHOD /path/{param}` for every route an Express 5 app registers, nested routers included. */
function registeredRoutes(app: Express): string[] {
  const routes: string[] = [];
  const walk = (stack: RouterLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const routePath of paths) {
          for (const [method, isHandled] of Object.entries(layer.route.methods)) {
            // Express adds HEAD to every GET route by itself.
            if (isHandled && method !== '_all')
              routes.push(`${method.toUpperCase()} ${toTemplate(prefix + routePath)}`);
          }
        }
      } else if (layer.handle?.stack) {
        const mountPath = layer.slash || layer.rawPath === undefined ? '' : String(layer.rawPath);
        walk(layer.handle.stack, prefix + mountPath);
      }
    }
  };
  walk((app as unknown as { router: { stack: RouterLayer[] } }).router.stack, '');
  return [...new Set(routes)].sort();
}

const toTemplate = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

const declaredOperations = (name: ContractName) =>
  operationsOf(name, loadContract(name))
    .map((operation) => `${operation.method} ${operation.pathTemplate}`)
    .sort();

describe('routes match the contracts', () => {
  let database: TestDatabase;
  const logger = createLogger({ service: 'routes-test', level: 'silent' });

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('when the Customers API is built, then it registers exactly the operations of customers.yaml', () => {
    const app = createCustomersApp({ db: database.db, auth: TEST_AUTH, logger });
    expect(registeredRoutes(app)).toEqual(declaredOperations('customers'));
  });

  it('when the Orders API is built, then it registers exactly the operations of orders.yaml', () => {
    const app = createOrdersApp({
      db: database.db,
      auth: TEST_AUTH,
      logger,
      customersApiBase: 'http://127.0.0.1:1',
    });
    expect(registeredRoutes(app)).toEqual(declaredOperations('orders'));
  });

  it('when serverless.yml is read, then its http events are exactly the operations of orchestrator.yaml', () => {
    const serverless = YAML.parse(
      readFileSync(path.join(ROOT, 'lambda-orchestrator/serverless.yml'), 'utf8'),
    ) as {
      functions: Record<string, { events?: { http?: { method: string; path: string } }[] }>;
    };
    const events = Object.values(serverless.functions)
      .flatMap((fn) => fn.events ?? [])
      .flatMap((event) => (event.http ? [event.http] : []))
      .map((http) => `${http.method.toUpperCase()} /${http.path.replace(/^\//, '')}`)
      .sort();
    expect(events).toEqual(declaredOperations('orchestrator'));
  });
});
