import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContractValidator } from '@b2b/service-kit';
import { CONTRACT_NAMES, loadContract, operationsOf } from '../operations';
import { arbitraryFor, invalidArbitraryFor } from '../schema-arbitrary';

/** The generator the property suite relies on, checked against ajv on every request body. */
describe('schema-arbitrary', () => {
  for (const contractName of CONTRACT_NAMES) {
    const contract = loadContract(contractName);
    const validator = new ContractValidator(contract);
    for (const operation of operationsOf(contractName, contract).filter(
      (candidate) => candidate.bodySchema,
    )) {
      const { method, pathTemplate, bodySchema } = operation;

      it(`when it generates a ${contractName} ${operation.operationId} body, then the body is valid`, () => {
        fc.assert(
          fc.property(arbitraryFor(bodySchema!, { contract }), (body) => {
            expect(validator.requestBody(method, pathTemplate, body)).toEqual([]);
          }),
          { seed: 1, numRuns: 200 },
        );
      });

      it(`when it breaks a ${contractName} ${operation.operationId} body, then the body is mostly invalid`, () => {
        const samples = fc.sample(invalidArbitraryFor(bodySchema!, { contract }), { seed: 1, numRuns: 200 });
        const invalid = samples.filter(
          (body) => typeof body === 'symbol' || validator.requestBody(method, pathTemplate, body).length > 0,
        );
        // A mutation may land on a valid value (null for a nullable field); the suite filters those.
        expect(invalid.length / samples.length).toBeGreaterThan(0.8);
      });
    }
  }
});
