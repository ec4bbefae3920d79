import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cancelWindowMinutes, consoleBackend } from '../vite.config';

const checkouts: string[] = [];
afterAll(() => {
  for (const folder of checkouts) rmSync(folder, { recursive: true, force: true });
});

/** A checkout in miniature whose parts hold these .env files (none: no .env at all). */
function givenCheckout(files: Record<string, string> = {}): string {
  const root = mkdtempSync(path.join(tmpdir(), 'console-ports-'));
  checkouts.push(root);
  for (const [part, text] of Object.entries(files)) {
    mkdirSync(path.join(root, part));
    writeFileSync(path.join(root, part, '.env'), text);
  }
  return root;
}

describe("the console server's proxy targets", () => {
  it('when nothing is set, then it forwards to the ports npm start uses', () => {
    expect(consoleBackend({}, givenCheckout()).targets).toEqual({
      customers: 'http://127.0.0.1:3001',
      orders: 'http://127.0.0.1:3002',
      orchestrator: 'http://127.0.0.1:3000',
    });
  });

  it('when CONSOLE_BACKEND is mock, then it forwards to the ports npm run mock uses, moved as it moves them', () => {
    const backend = consoleBackend(
      { CONSOLE_BACKEND: 'mock', MOCK_ORDERS_PORT: '5011' },
      givenCheckout({ 'orders-api': 'PORT=4102\n' }),
    );
    expect(backend.targets).toEqual({
      customers: 'http://127.0.0.1:4010',
      orders: 'http://127.0.0.1:5011',
      orchestrator: 'http://127.0.0.1:4012',
    });
    expect(backend.startCommand).toBe('npm run mock');
  });

  it('when the ports or URLs of the system are set, then those win', () => {
    const backend = consoleBackend(
      { CUSTOMERS_PORT: '4001', ORCHESTRATOR_URL: 'http://lambda.internal:8080' },
      givenCheckout(),
    );
    expect(backend.targets.customers).toBe('http://127.0.0.1:4001');
    expect(backend.targets.orchestrator).toBe('http://lambda.internal:8080');
  });

  it('when the parts’ .env files set their ports, then it forwards where npm start starts them', () => {
    const root = givenCheckout({
      'customers-api': 'PORT=4101\nLOG_LEVEL=info\n',
      'orders-api': '# the Orders API\nPORT=4102\n',
      'lambda-orchestrator': 'ORCHESTRATOR_PORT=4100\nORCHESTRATOR_LAMBDA_PORT=4103\n',
    });
    expect(consoleBackend({}, root).targets).toEqual({
      customers: 'http://127.0.0.1:4101',
      orders: 'http://127.0.0.1:4102',
      orchestrator: 'http://127.0.0.1:4100',
    });
  });

  it('when the environment sets a port too, then the environment wins over the .env file, as in npm start', () => {
    const root = givenCheckout({ 'customers-api': 'PORT=4101\n', 'orders-api': 'PORT=4102\n' });
    expect(consoleBackend({ CUSTOMERS_PORT: '5101' }, root).targets).toMatchObject({
      customers: 'http://127.0.0.1:5101',
      orders: 'http://127.0.0.1:4102',
    });
    // Empty in the environment means the default, as the parts read it.
    expect(consoleBackend({ ORDERS_PORT: '' }, root).targets.orders).toBe('http://127.0.0.1:3002');
  });

  it('when a .env file sets a port that is not one, then the console refuses to start and says which', () => {
    const root = givenCheckout({ 'orders-api': 'PORT=30o2\n' });
    expect(() => consoleBackend({}, root)).toThrow(
      /ORDERS_PORT must be a port number from 1 to 65535 \(got "30o2"\)/,
    );
  });

  it('when the mocks are the backend, then the system’s .env files do not matter', () => {
    const root = givenCheckout({ 'orders-api': 'PORT=not-a-port\n' });
    expect(consoleBackend({ CONSOLE_BACKEND: 'mock' }, root).targets.orders).toBe('http://127.0.0.1:4011');
  });

  it('when ORDER_CANCEL_WINDOW_MINUTES is not a whole number, then the console refuses to build', () => {
    expect(cancelWindowMinutes({})).toBe(10);
    expect(cancelWindowMinutes({ ORDER_CANCEL_WINDOW_MINUTES: '30' })).toBe(30);
    expect(() => cancelWindowMinutes({ ORDER_CANCEL_WINDOW_MINUTES: 'ten' })).toThrow(/whole number/);
  });
});
