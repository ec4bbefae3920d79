import { ValidationFailed, type FieldError } from '@b2b/service-kit';

/**
 * Calendar days of an IANA time zone as UTC instants, with Intl only (no time zone tables in
 * the database: CONVERT_TZ is not available, and connections run in UTC).
 */

/** The most days one range may span, both ends included. */
export const MAX_RANGE_DAYS = 366;

const DAY_MS = 86_400_000;
const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A validated range of local days: `days` lists every date from `from` to `to`, in order. */
export interface CalendarRange {
  from: string;
  to: string;
  /** The zone as the request named it (Intl reads `asia/kolkata` too; its canonical name may be an older alias). */
  timeZone: string;
  days: string[];
}

/** A span of instants with one UTC offset: local time is `created_at + offsetSeconds`. */
export interface OffsetSegment {
  /** Inclusive. */
  start: Date;
  /** Exclusive. */
  end: Date;
  offsetSeconds: number;
}

/** Milliseconds since the epoch of a UTC wall time; years 0–99 stay years 0–99 (not 1900+). */
function utcMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

/** The days since the epoch of a real calendar date `YYYY-MM-DD`; undefined for 2026-02-30 or any other text. */
function epochDayOf(text: string): number | undefined {
  const match = CALENDAR_DATE.exec(text);
  if (!match) return undefined;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  const ms = utcMs(year, month, day);
  const date = new Date(ms);
  // Date rolls 2026-02-30 over to March 2: a real date reads back the same.
  const isReal =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return isReal ? ms / DAY_MS : undefined;
}

/** The calendar date `YYYY-MM-DD` of a count of days since 1970-01-01. */
export function dateOfEpochDay(epochDay: number): string {
  const date = new Date(epochDay * DAY_MS);
  const year = String(date.getUTCFullYear()).padStart(4, '0');
  const month = String(date.getUTCMonth() + 1).padStart(2, '0');
  const day = String(date.getUTCDate()).padStart(2, '0');
  return `${year}-${month}-${day}`;
}

/** The formatter reading wall times of `timeZone`; undefined when Intl does not know the zone. */
function wallClockOf(timeZone: string): Intl.DateTimeFormat | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return undefined;
  }
}

/**
 * Reads `from`, `to` (both `YYYY-MM-DD`, inclusive) and `time_zone` (an IANA name, `UTC` by
 * default). Throws ValidationFailed naming `query.from`, `query.to` or `query.time_zone`, with
 * every problem found, when a date is not a real calendar date, `from` is after `to`, the
 * range spans more than MAX_RANGE_DAYS days or Intl does not know the zone.
 */
export function readCalendarRange(query: { from: string; to: string; time_zone?: string }): CalendarRange {
  const errors: FieldError[] = [];
  const fromDay = epochDayOf(query.from);
  const toDay = epochDayOf(query.to);
  if (fromDay === undefined)
    errors.push({ field: 'query.from', message: `${query.from} is not a real calendar date (YYYY-MM-DD)` });
  if (toDay === undefined)
    errors.push({ field: 'query.to', message: `${query.to} is not a real calendar date (YYYY-MM-DD)` });
  if (fromDay !== undefined && toDay !== undefined) {
    if (toDay < fromDay) {
      errors.push({ field: 'query.to', message: `must not be before from (${query.from})` });
    } else if (toDay - fromDay + 1 > MAX_RANGE_DAYS) {
      errors.push({
        field: 'query.to',
        message: `the range spans ${toDay - fromDay + 1} days; at most ${MAX_RANGE_DAYS} (to at most 365 days after from)`,
      });
    }
  }
  // IANA names hold no spaces: a space is an unencoded `+` (`Etc/GMT+5`) decoded as form data.
  const requestedZone = (query.time_zone ?? 'UTC').replaceAll(' ', '+');
  const wallClock = wallClockOf(requestedZone);
  if (!wallClock) {
    errors.push({
      field: 'query.time_zone',
      message: `${requestedZone} is not a time zone this API knows (an IANA name such as Europe/Berlin)`,
    });
  }
  if (errors.length > 0 || fromDay === undefined || toDay === undefined || !wallClock)
    throw new ValidationFailed(errors);
  const days = Array.from({ length: toDay - fromDay + 1 }, (_, index) => dateOfEpochDay(fromDay + index));
  // Intl's spelling: `europe/berlin` is read as Europe/Berlin and answered so.
  return { from: query.from, to: query.to, timeZone: wallClock.resolvedOptions().timeZone, days };
}

/** The zone's UTC offset at an instant, in seconds (local wall time minus UTC). */
function offsetSecondsAt(wallClock: Intl.DateTimeFormat, instantMs: number): number {
  const wholeSecond = Math.floor(instantMs / 1000) * 1000;
  const parts = Object.fromEntries(
    wallClock.formatToParts(new Date(wholeSecond)).map((part) => [part.type, part.value]),
  );
  const year = parts.era === 'BC' ? 1 - Number(parts.year) : Number(parts.year);
  const local = utcMs(
    year,
    Number(parts.month),
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return (local - wholeSecond) / 1000;
}

/**
 * The first instant at which the offset differs from the one at `beforeMs`, looked for up to
 * `afterMs` (where it is known to differ): a bisection to the millisecond.
 */
function transitionBetween(wallClock: Intl.DateTimeFormat, beforeMs: number, afterMs: number): number {
  const offsetBefore = offsetSecondsAt(wallClock, beforeMs);
  let low = beforeMs;
  let high = afterMs;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (offsetSecondsAt(wallClock, middle) === offsetBefore) low = middle;
    else high = middle;
  }
  return high;
}

/**
 * The instant a local day begins: its midnight, or, where a daylight-saving change skips
 * midnight, the first instant of the day after the gap. Offsets a day before and a day after
 * are the only candidates (no zone changes offset twice within two days).
 */
function startOfLocalDay(wallClock: Intl.DateTimeFormat, epochDay: number): number {
  const localMidnight = epochDay * DAY_MS;
  const candidates = [
    offsetSecondsAt(wallClock, localMidnight - DAY_MS),
    offsetSecondsAt(wallClock, localMidnight + DAY_MS),
  ]
    .map((offset) => localMidnight - offset * 1000)
    // An instant whose own offset gives back local midnight: midnight exists at that offset.
    .filter((instant) => instant + offsetSecondsAt(wallClock, instant) * 1000 === localMidnight);
  if (candidates.length > 0) return Math.min(...candidates);
  // Midnight fell into a gap: the day begins when the clocks jump.
  const earlier = localMidnight - offsetSecondsAt(wallClock, localMidnight - DAY_MS) * 1000 - DAY_MS;
  return transitionBetween(wallClock, earlier, earlier + 2 * DAY_MS);
}

/**
 * The instants from the start of the range's first local day to the start of the day after
 * its last, cut where the zone's offset changes: within a segment a local date is the UTC
 * date of `instant + offsetSeconds`, so each segment can be grouped by day in plain SQL.
 */
export function offsetSegments(range: CalendarRange): OffsetSegment[] {
  const wallClock = wallClockOf(range.timeZone)!;
  const firstDay = epochDayOf(range.from)!;
  const dayStarts = Array.from({ length: range.days.length + 1 }, (_, index) =>
    startOfLocalDay(wallClock, firstDay + index),
  );
  const boundaries = [dayStarts[0]!];
  for (let index = 1; index < dayStarts.length; index += 1) {
    const previous = dayStarts[index - 1]!;
    const next = dayStarts[index]!;
    // At most one change of offset between two local midnights.
    if (offsetSecondsAt(wallClock, previous) !== offsetSecondsAt(wallClock, next - 1)) {
      const transition = transitionBetween(wallClock, previous, next - 1);
      if (transition > previous) boundaries.push(transition);
    }
    boundaries.push(next);
  }
  const segments: OffsetSegment[] = [];
  for (let index = 1; index < boundaries.length; index += 1) {
    const start = boundaries[index - 1]!;
    const end = boundaries[index]!;
    const offsetSeconds = offsetSecondsAt(wallClock, start);
    const last = segments.at(-1);
    // Consecutive days at one offset make one segment.
    if (last && last.offsetSeconds === offsetSeconds && last.end.getTime() === start)
      last.end = new Date(end);
    else segments.push({ start: new Date(start), end: new Date(end), offsetSeconds });
  }
  return segments;
}
