// The console's data types, each taken from the contracts (never written by hand).
import type { components as CustomersComponents } from '@b2b/contracts/customers';
import type { components as OrdersComponents, paths as OrdersPaths } from '@b2b/contracts/orders';
import type { components as OrchestratorComponents } from '@b2b/contracts/orchestrator';

export type Problem = CustomersComponents['schemas']['Problem'];
export type Customer = CustomersComponents['schemas']['Customer'];
export type CustomerCreate = CustomersComponents['schemas']['CustomerCreate'];
export type Product = OrdersComponents['schemas']['Product'];
export type ProductUpdate = OrdersComponents['schemas']['ProductUpdate'];
export type Order = OrdersComponents['schemas']['Order'];
export type OrderStatus = OrdersComponents['schemas']['OrderStatus'];
export type PlacedOrder = OrchestratorComponents['schemas']['CreateAndConfirmOrderResponse'];
export type OrderLineInput = OrchestratorComponents['schemas']['OrderItemInput'];
export type OrderEvent = OrdersComponents['schemas']['Event'];
export type WebhookEndpoint = OrdersComponents['schemas']['WebhookEndpoint'];
export type WebhookDelivery = OrdersComponents['schemas']['WebhookDelivery'];
export type WebhookEndpointInput = NonNullable<
  OrdersPaths['/webhook-endpoints']['post']['requestBody']
>['content']['application/json'];
export type WebhookEventType = WebhookEndpointInput['event_types'][number];
export type RotatedSecret =
  OrdersPaths['/webhook-endpoints/{id}/rotate-secret']['post']['responses'][200]['content']['application/json'];
