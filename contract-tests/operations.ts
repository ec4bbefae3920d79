import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { OpenApiDocument } from '@b2b/contracts/document';
import { resolveRef, type Schema } from './schema-arbitrary';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const CONTRACT_NAMES = ['customers', 'orders', 'orchestrator'] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: Schema;
}

export interface Operation {
  contractName: ContractName;
  operationId: string;
  method: string;
  pathTemplate: string;
  parameters: Parameter[];
  /** The application/json request body schema, when the operation takes a body. */
  bodySchema?: Schema;
  /** Security schemes any one of which is accepted; empty when the operation is public. */
  schemes: string[];
  statuses: number[];
}

/**
 * The bundled contract as `npm run generate` writes it. CONTRACT_BUNDLE_DIR points the
 * suites at other bundles (how a deliberately broken contract is shown to fail).
 */
export function loadContract(name: ContractName): OpenApiDocument {
  const directory = process.env.CONTRACT_BUNDLE_DIR ?? path.join(ROOT, 'generated');
  return JSON.parse(readFileSync(path.join(directory, `${name}.openapi.json`), 'utf8')) as OpenApiDocument;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Every operation a contract declares, with its path-level parameters merged in. */
export function operationsOf(contractName: ContractName, contract: OpenApiDocument): Operation[] {
  const topLevelSecurity = (contract as { security?: Record<string, unknown>[] }).security ?? [];
  return Object.entries(contract.paths).flatMap(([pathTemplate, item]) => {
    const pathItem = item as Record<string, unknown> & { parameters?: unknown[] };
    return METHODS.filter((method) => pathItem[method]).map((method) => {
      const operation = pathItem[method] as {
        operationId: string;
        parameters?: unknown[];
        security?: Record<string, unknown>[];
        requestBody?: unknown;
        responses: Record<string, unknown>;
      };
      const parameters = [...(pathItem.parameters ?? []), ...(operation.parameters ?? [])].map(
        (parameter) => {
          const reference = parameter as { $ref?: string };
          return (reference.$ref ? resolveRef(contract, reference.$ref) : parameter) as Parameter;
        },
      );
      let requestBody = operation.requestBody as {
        $ref?: string;
        content?: Record<string, { schema: Schema }>;
      };
      if (requestBody?.$ref) requestBody = resolveRef(contract, requestBody.$ref);
      return {
        contractName,
        operationId: operation.operationId,
        method: method.toUpperCase(),
        pathTemplate,
        parameters,
        bodySchema: requestBody?.content?.['application/json']?.schema,
        schemes: (operation.security ?? topLevelSecurity).flatMap((requirement) => Object.keys(requirement)),
        statuses: Object.keys(operation.responses).map(Number),
      };
    });
  });
}
