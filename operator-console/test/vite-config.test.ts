import { describe, expect, it } from 'vitest';
import { cancelWindowMinutes, consoleBackend } from '../vite.config';

describe("the console server's proxy targets", () => {
  it('when nothing is set, then it forwards to the ports npm start uses', () => {
    expect(consoleBackend({}).targets).toEqual({
      customers: 'http://127.0.0.1:3001',
      orders: 'http://127.0.0.1:3002',
      orchestrator: 'http://127.0.0.1:3000',
    });
  });

  it('when CONSOLE_BACKEND is mock, then it forwards to the ports npm run mock uses, moved as it moves them', () => {
    const backend = consoleBackend({ CONSOLE_BACKEND: 'mock', MOCK_ORDERS_PORT: '5011' });
    expect(backend.targets).toEqual({
      customers: 'http://127.0.0.1:4010',
      orders: 'http://127.0.0.1:5011',
      orchestrator: 'http://127.0.0.1:4012',
    });
    expect(backend.startCommand).toBe('npm run mock');
  });

  it('when the ports or URLs of the system are set, then those win', () => {
    const backend = consoleBackend({
      CUSTOMERS_PORT: '4001',
      ORCHESTRATOR_URL: 'http://lambda.internal:8080',
    });
    expect(backend.targets.customers).toBe('http://127.0.0.1:4001');
    expect(backend.targets.orchestrator).toBe('http://lambda.internal:8080');
  });

  it('when ORDER_CANCEL_WINDOW_MINUTES is not a whole number, then the console refuses to build', () => {
    expect(cancelWindowMinutes({})).toBe(10);
    expect(cancelWindowMinutes({ ORDER_CANCEL_WINDOW_MINUTES: '30' })).toBe(30);
    expect(() => cancelWindowMinutes({ ORDER_CANCEL_WINDOW_MINUTES: 'ten' })).toThrow(/whole number/);
  });
});
