// Calendar days of the operator's time zone, as the stats API counts them (`time_zone`).

/** The browser's IANA time zone (`Europe/Berlin`), sent as `time_zone` and shown on screen. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** A local calendar date as YYYY-MM-DD. */
export function toCalendarDate(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The calendar date `days` days after (or before, when negative) the day of `now`, in local time. */
export function calendarDateFrom(now: Date, days: number): string {
  return toCalendarDate(new Date(now.getFullYear(), now.getMonth(), now.getDate() + days));
}

const shortDate = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

/** A YYYY-MM-DD date, short (`23 Nov`), in the operator's locale. */
export function formatCalendarDate(date: string): string {
  const [year, month, day] = date.split('-').map(Number);
  return shortDate.format(new Date(year!, month! - 1, day!));
}
