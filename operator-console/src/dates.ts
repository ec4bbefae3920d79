const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const preciseDateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

/** An API timestamp (or epoch milliseconds) in the operator's locale and time zone. */
export function formatDateTime(instant: string | number): string {
  return dateTime.format(new Date(instant));
}

/** The same with seconds, for events and delivery attempts that follow each other within a minute. */
export function formatPreciseDateTime(instant: string | number): string {
  return preciseDateTime.format(new Date(instant));
}

export function formatTime(instant: string | number): string {
  return time.format(new Date(instant));
}

/**
 * The instant a day starts in the operator's time zone, as the RFC 3339 date-time the
 * orders list's `from` / `to` accept. `dayOffset` 1 gives the start of the next day, so a
 * date range typed inclusively ("to 5 December") becomes the contract's exclusive `to`.
 */
export function startOfDayInstant(dateInput: string, dayOffset = 0): string {
  const [year, month, day] = dateInput.split('-').map(Number);
  return new Date(year!, month! - 1, day! + dayOffset).toISOString();
}
