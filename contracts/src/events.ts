import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import bundled from '../../generated/events.asyncapi.json' with { type: 'json' };
import {
  CUSTOMERS_API_EVENT_TYPES,
  EVENT_SUBJECTS,
  ORDERS_API_EVENT_TYPES,
  type EventType,
} from '../../generated/events';

export type {
  EventEnvelope,
  OrderCreatedEvent,
  OrderConfirmedEvent,
  OrderCanceledEvent,
  ProductCreatedEvent,
  ProductUpdatedEvent,
  CustomerCreatedEvent,
  CustomerUpdatedEvent,
  CustomerDeletedEvent,
  OrdersApiEvent,
  OrdersApiEventType,
  CustomersApiEvent,
  CustomersApiEventType,
  B2bEvent,
  EventType,
} from '../../generated/events';
export { CUSTOMERS_API_EVENT_TYPES, EVENT_SUBJECTS, ORDERS_API_EVENT_TYPES } from '../../generated/events';

/** The parts of a bundled AsyncAPI 3.0 document that code reads; the rest is left untyped. */
export interface AsyncApiDocument {
  asyncapi: string;
  info: { title: string; version: string; description?: string };
  channels: Record<string, unknown>;
  operations?: Record<string, unknown>;
  components?: Record<string, unknown>;
}

/**
 * contracts/events.yaml bundled by `npm run generate`: the payloads' `$ref`s into the
 * OpenAPI contracts inlined (OpenAPI 3.0 schemas, `schemaFormat`
 * `application/vnd.oai.openapi;version=3.0.0`); its own references kept.
 */
export const document: AsyncApiDocument = bundled;

/** Every event type, Orders API's first. */
export const EVENT_TYPES: readonly EventType[] = [...ORDERS_API_EVENT_TYPES, ...CUSTOMERS_API_EVENT_TYPES];

export const isEventType = (value: unknown): value is EventType =>
  typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);

/** The JetStream stream of each API's events and the prefix of their subjects (`<prefix>.<type>`). */
export const EVENT_STREAMS = {
  orders: { stream: 'B2B_ORDERS', subjectPrefix: 'b2b.orders' },
  customers: { stream: 'B2B_CUSTOMERS', subjectPrefix: 'b2b.customers' },
} as const;

/**
 * The NATS subject of an event type: `b2b.orders.order.confirmed` as the contract names it,
 * or under another prefix (`EVENTS_SUBJECT_PREFIX`, for tests).
 */
export function eventSubject(type: EventType, prefix?: string): string {
  return prefix === undefined ? EVENT_SUBJECTS[type] : `${prefix}.${type}`;
}

type Message = { name: string; payload: { schemaFormat?: string; schema?: object } };

let validators: Map<string, ValidateFunction> | undefined;

/** One ajv validator per event type, compiled on first use from the bundled document's payloads. */
function validatorOf(type: EventType): ValidateFunction {
  if (!validators) {
    // OpenAPI 3.0 schemas: ajv understands `nullable`; `example` needs strict: false.
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addFormat('int64', { type: 'number', validate: Number.isSafeInteger });
    ajv.addFormat('int32', { type: 'number', validate: Number.isInteger });
    const messages = Object.values((document.components?.messages ?? {}) as Record<string, Message>);
    validators = new Map(
      messages.map((message) => [message.name, ajv.compile(message.payload.schema ?? message.payload)]),
    );
  }
  const validate = validators.get(type);
  if (!validate) throw new Error(`The events contract has no message for ${type}`);
  return validate;
}

/**
 * Checks a value against the events contract: a known `type`, and then that type's envelope
 * and `data` exactly (every attribute required, none added, `data` of the type's schema).
 */
export function validateEvent(event: unknown): { valid: true } | { valid: false; errors: string } {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return { valid: false, errors: 'event must be an object' };
  }
  const { type } = event as { type?: unknown };
  if (!isEventType(type)) {
    return { valid: false, errors: `event/type must be one of ${EVENT_TYPES.join(', ')}` };
  }
  const validate = validatorOf(type);
  if (validate(event)) return { valid: true };
  return { valid: false, errors: describe(validate.errors ?? []) };
}

/** "event/data/stock must be integer; event/data must NOT have additional properties (foo)": each once. */
function describe(errors: ErrorObject[]): string {
  const lines = errors.map((error) => {
    const extra = error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : '';
    return `event${error.instancePath} ${error.message ?? 'is invalid'}${extra}`;
  });
  return [...new Set(lines)].join('; ');
}
