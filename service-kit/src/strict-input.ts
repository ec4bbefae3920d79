/**
 * The strict parsers every part uses at its edge: a value is read exactly as the contract
 * states it, or refused. Nothing is coerced, rounded or repaired.
 */
import { UnsupportedContentEncoding, UnsupportedMediaType } from './errors';

/** `0`, `42`, `-7`: no sign `+`, no leading zeros, spaces, exponent, fraction or hex. */
const DECIMAL_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * Parses a plain decimal integer (the contracts' rule for integers in paths and query
 * strings). Returns undefined for anything else, and for values past 2^53 that a number
 * cannot hold exactly.
 */
export function parseDecimalInteger(text: string): number | undefined {
  if (!DECIMAL_INTEGER.test(text) || text === '-0') return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * RFC 3339 `date-time` at most to the millisecond (the database's precision, so a bound
 * never changes meaning by rounding), with `Z` or a numeric offset.
 */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 date-time that names a real instant: a date the calendar has
 * (no February 30, no February 29 outside leap years), hours 00–23 (no 24:00), no leap
 * second, an offset within ±23:59, and at most three fractional digits. Returns undefined
 * otherwise; never rolls an impossible date over into the next month.
 */
export function parseInstant(text: string): Date | undefined {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millisecond = Number((match[7] ?? '0').padEnd(3, '0'));
  const [sign, offsetHours, offsetMinutes] = [match[8], Number(match[9] ?? 0), Number(match[10] ?? 0)];
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const local = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millisecond));
  // Date.UTC rolls 2026-02-31 over to March 3: a date the calendar has survives unchanged.
  if (local.getUTCFullYear() !== year || local.getUTCMonth() !== month - 1 || local.getUTCDate() !== day) {
    return undefined;
  }
  const offsetMs = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return new Date(local.getTime() - offsetMs);
}

/**
 * The path (`body.items.0.name`) of the first string, or object key, in a parsed JSON
 * value that is not well-formed Unicode (a lone surrogate such as `"\ud800"`, which
 * JSON allows but no text is); undefined when every string is well-formed.
 */
export function findIllFormedText(value: unknown, path = 'body'): string | undefined {
  if (typeof value === 'string') return value.isWellFormed() ? undefined : path;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findIllFormedText(item, `${path}.${index}`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (!key.isWellFormed()) return path;
      const found = findIllFormedText(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The `type` of the body-parser error for a JSON body that is not UTF-8 (see strictJsonBody). */
export const INVALID_UTF8 = 'encoding.invalid';

/** True when `bytes` are valid UTF-8 (RFC 3629): no stray, truncated or overlong sequences. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * `application/json` whose only parameter, if any, is `charset` naming UTF-8 (any case,
 * quoted or not). JSON on the wire is UTF-8 (RFC 8259 §8.1): a body labelled UTF-7, UTF-16
 * or Latin-1 is refused, never decoded into text other than what its bytes say as UTF-8
 * (to a UTF-7 decoder `+ACI-` is a quote; to anything reading the bytes it is not).
 */
const JSON_MEDIA_TYPE = /^application\/json[ \t]*(?:;[ \t]*charset=(?:utf-8|"utf-8")[ \t]*)?$/i;

/**
 * The one rule for the bytes of a request body, in all three parts and in every contract:
 * `application/json`, UTF-8, no content coding. For a request that has a body, returns the
 * 415 to answer, or undefined when the body may be read: any `Content-Encoding` but
 * `identity` is UNSUPPORTED_CONTENT_ENCODING (judged first: the coding wraps the media
 * type), any other media type or parameter UNSUPPORTED_MEDIA_TYPE. No part decodes a
 * content coding: a Lambda behind API Gateway cannot count on receiving a compressed body,
 * so the APIs take none either.
 */
export function unsupportedBodyError(
  contentType: string | undefined,
  contentEncoding: string | undefined,
): UnsupportedContentEncoding | UnsupportedMediaType | undefined {
  const coding = contentEncoding?.trim() ?? '';
  if (coding !== '' && coding.toLowerCase() !== 'identity') return new UnsupportedContentEncoding(coding);
  if (contentType === undefined || !JSON_MEDIA_TYPE.test(contentType.trim())) {
    return new UnsupportedMediaType(contentType);
  }
  return undefined;
}

/**
 * Headers that name the caller or the request: a second line of any of them would let
 * two parts (or two layers) disagree about who is calling and which request this is, so
 * every part refuses it (400).
 */
export const SINGLE_VALUE_HEADERS = ['authorization', 'x-correlation-id', 'x-idempotency-key'] as const;

/** The offending fields for header names that occur more than once in `names` (any case). */
export function repeatedHeaderErrors(names: readonly string[]): Array<{ field: string; message: string }> {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name.toLowerCase(), (counts.get(name.toLowerCase()) ?? 0) + 1);
  return SINGLE_VALUE_HEADERS.filter((name) => (counts.get(name) ?? 0) > 1).map((name) => ({
    field: `header.${name}`,
    message: 'must be sent once',
  }));
}
