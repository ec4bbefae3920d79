import type { Client } from 'openapi-fetch';
import bundled from '../../generated/orders.openapi.json' with { type: 'json' };
import type { paths } from '../../generated/orders';
import { createApiClient, type ClientOptions } from './client';
import type { OpenApiDocument } from './document';

export type { paths, components, operations } from '../../generated/orders';

/** contracts/orders.yaml bundled into one document (external `$ref`s inlined) by `npm run generate`. */
export const document: OpenApiDocument = bundled;

export type OrdersClient = Client<paths>;

/** A typed client of the Orders API (see `createApiClient`). */
export const createOrdersClient = (options: ClientOptions): OrdersClient => createApiClient<paths>(options);
