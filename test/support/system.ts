import { afterAll, beforeAll } from 'vitest';
import { createLogger, listen, sql, type RunningServer } from '@b2b/service-kit';
import {
  TEST_AUTH,
  createTestDatabase,
  httpClient,
  operatorToken,
  type TestDatabase,
} from '@b2b/service-kit/testing';
import { createCustomersApp } from '@b2b/customers-api/app';
import { createOrdersApp } from '@b2b/orders-api/app';
import { startOfflineOrchestrator } from '@b2b/lambda-orchestrator/testing';

export type PartName = 'customers' | 'orders' | 'orchestrator';

export interface Fixtures {
  customerIds: number[];
  /** Customers only DELETE may remove, so the others stay usable for the rest of the suite. */
  deletableCustomerIds: number[];
  productIds: number[];
  orderIds: number[];
}

export interface RunningSystem {
  urls: Record<PartName, string>;
  db: TestDatabase['db'];
  token: string;
  fixtures: Fixtures;
  orchestratorOutput(): string;
  stop(): Promise<void>;
}

/** db/seed.sql's development operator (operator / operator-dev-password), for POST /auth/token. */
export const DEV_OPERATOR = { username: 'operator', password: 'operator-dev-password' };
const DEV_OPERATOR_HASH =
  'scrypt$16384$8$1$x5T0mvlhbuXwqM4jEKHzkg$ODBHE0aq62UWrxesCo9xOS-EnPBSmrVf8HEtOgIoNDEWdgMpJQeRtgD-zrIv2y_h3QFepLP_PBuUDBXfAC8U5g';

/**
 * The whole system on a fresh database: both APIs in-process (real HTTP, responses
 * validated against their contracts), the built Lambda under serverless-offline in front
 * of them (vitest's global setup builds it), the development operator, and a few
 * resources created through the APIs for path ids to point at.
 */
export async function startSystem(): Promise<RunningSystem> {
  const started: { stop(): Promise<void> }[] = [];
  let database: TestDatabase | undefined;
  const stop = async () => {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
    await database?.drop();
  };
  try {
    database = await createTestDatabase();
    const { db } = database;
    await db.query(
      sql`INSERT INTO operators (username, password_hash) VALUES ('operator', ${DEV_OPERATOR_HASH})`,
    );
    const logger = createLogger({ service: 'contract-tests', level: 'silent' });
    const customersApi: RunningServer = await listen(
      createCustomersApp({ db, auth: TEST_AUTH, logger, validateResponses: true }),
    );
    started.push({ stop: () => customersApi.close() });
    const ordersApi: RunningServer = await listen(
      createOrdersApp({
        db,
        auth: TEST_AUTH,
        logger,
        customersApiBase: customersApi.url,
        validateResponses: true,
        // As under `npm start` (WEBHOOK_ALLOWED_HOSTS' development default): the Postman
        // collection registers a loopback webhook URL. No host name resolves: the suites
        // never ask real DNS about the URLs they make up.
        webhooks: {
          allowedHosts: ['127.0.0.1', 'localhost'],
          secretOverlapHours: 24,
          lookup: async (hostname) => {
            throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
          },
        },
      }),
    );
    started.push({ stop: () => ordersApi.close() });

    const orchestrator = await startOfflineOrchestrator({ ordersApiBase: ordersApi.url });
    started.push(orchestrator.service);

    const token = await operatorToken();
    const fixtures = await createFixtures(customersApi.url, ordersApi.url, token);
    return {
      urls: {
        customers: customersApi.url,
        orders: ordersApi.url,
        orchestrator: orchestrator.url,
      },
      db,
      token,
      fixtures,
      orchestratorOutput: () => orchestrator.service.output(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function createFixtures(customersUrl: string, ordersUrl: string, token: string): Promise<Fixtures> {
  const customers = httpClient(customersUrl);
  const orders = httpClient(ordersUrl);
  let sequence = 0;
  const created = <T extends { status: number; text: string; body: { id: number } }>(response: T) => {
    if (response.status !== 201) throw new Error(`fixture not created: ${response.status} ${response.text}`);
    return response.body.id;
  };
  const buildCustomer = async () =>
    created(
      await customers.post('/customers', {
        token,
        body: {
          name: `Property customer ${(sequence += 1)}`,
          email: `property-${sequence}@fixtures.example`,
        },
      }),
    );
  const buildProduct = async () =>
    created(
      await orders.post('/products', {
        token,
        body: { sku: `PROP-${(sequence += 1)}`, name: 'Property pallet', price_cents: 990, stock: 1_000_000 },
      }),
    );

  const customerIds: number[] = [];
  const deletableCustomerIds: number[] = [];
  const productIds: number[] = [];
  const orderIds: number[] = [];
  for (let index = 0; index < 6; index += 1) customerIds.push(await buildCustomer());
  for (let index = 0; index < 8; index += 1) deletableCustomerIds.push(await buildCustomer());
  for (let index = 0; index < 6; index += 1) productIds.push(await buildProduct());
  for (let index = 0; index < 8; index += 1) {
    orderIds.push(
      created(
        await orders.post('/orders', {
          token,
          body: {
            customer_id: customerIds[index % customerIds.length],
            items: [{ product_id: productIds[index % productIds.length], qty: 1 }],
          },
        }),
      ),
    );
  }
  return { customerIds, deletableCustomerIds, productIds, orderIds };
}

/**
 * Starts the system before the suite's tests and stops it after them. Read `.current`
 * inside tests (it is set once beforeAll has run).
 */
export function useSystem(): { readonly current: RunningSystem } {
  let system: RunningSystem | undefined;
  beforeAll(async () => {
    system = await startSystem();
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
  });
  return {
    get current() {
      if (!system) throw new Error('the system is not started yet');
      return system;
    },
  };
}
