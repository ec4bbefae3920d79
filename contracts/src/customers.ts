import type { Client } from 'openapi-fetch';
import bundled from '../../generated/customers.openapi.json' with { type: 'json' };
import type { paths } from '../../generated/customers';
import { createApiClient, type ClientOptions } from './client';
import type { OpenApiDocument } from './document';

export type { paths, components, operations } from '../../generated/customers';

/** contracts/customers.yaml bundled into one document (external `$ref`s inlined) by `npm run generate`. */
export const document: OpenApiDocument = bundled;

export type CustomersClient = Client<paths>;

/** A typed client of the Customers API (see `createApiClient`). */
export const createCustomersClient = (options: ClientOptions): CustomersClient => createApiClient<paths>(options);
