import { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type DrainableServer } from '../src';

const app = express();
let running: DrainableServer;
let prototypesOnArrival: { request: object | null; response: object | null } | undefined;

beforeAll(async () => {
  app.get('/who', (request, response) => {
    response.json({
      ip: request.ip,
      sameApp: request.app === app,
      isIncomingMessage: request instanceof IncomingMessage,
      isServerResponse: response instanceof ServerResponse,
    });
  });
  running = await listen(app);
  // Before Express sees them: what the server built.
  running.server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    prototypesOnArrival = {
      request: Object.getPrototypeOf(request) as object | null,
      response: Object.getPrototypeOf(response) as object | null,
    };
  });
});

afterAll(async () => {
  await running?.close();
});

describe('listen', () => {
  it('builds requests and responses with the app’s own prototypes, so Express never swaps them', async () => {
    const answer = await fetch(`${running.url}/who`);

    expect(prototypesOnArrival?.request).toBe(app.request);
    expect(prototypesOnArrival?.response).toBe(app.response);
    // Still Node's messages and Express's, with everything both define.
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({
      ip: '127.0.0.1',
      sameApp: true,
      isIncomingMessage: true,
      isServerResponse: true,
    });
  });
});
