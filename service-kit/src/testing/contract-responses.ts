import { expect } from 'vitest';
import { ContractValidator } from '../contract-validator';
import type { OpenApiDocument } from '@b2b/contracts/document';

/**
 * For tests of processes the test cannot instrument (serverless-offline, Prism): checks a
 * fetch Response against the contract and returns its parsed body.
 */
export function contractAsserter(contract: OpenApiDocument) {
  const validator = new ContractValidator(contract);
  return async function expectContractResponse(
    method: string,
    pathTemplate: string,
    response: Response,
  ): Promise<unknown> {
    const text = await response.text();
    const contentType = response.headers.get('content-type');
    const body = contentType?.includes('json') && text ? JSON.parse(text) : text || undefined;
    expect(validator.response(method, pathTemplate, response.status, contentType, body)).toEqual([]);
    return body;
  };
}
