import { describe, expect, it } from 'vitest';
import { offsetSegments, readCalendarRange } from '../src/stats/calendar-days';

const segmentsOf = (from: string, to: string, timeZone: string) =>
  offsetSegments(readCalendarRange({ from, to, time_zone: timeZone })).map((segment) => ({
    start: segment.start.toISOString(),
    end: segment.end.toISOString(),
    offsetSeconds: segment.offsetSeconds,
  }));

describe('offsetSegments', () => {
  it('when a Europe/Berlin range holds the autumn change, then it splits at 01:00Z into CEST then CET, the 25th lasting 25 hours', () => {
    expect(segmentsOf('2026-10-25', '2026-10-25', 'Europe/Berlin')).toEqual([
      { start: '2026-10-24T22:00:00.000Z', end: '2026-10-25T01:00:00.000Z', offsetSeconds: 7200 },
      { start: '2026-10-25T01:00:00.000Z', end: '2026-10-25T23:00:00.000Z', offsetSeconds: 3600 },
    ]);
  });

  it('when a Europe/Berlin range holds the spring change, then the 29th lasts 23 hours', () => {
    expect(segmentsOf('2026-03-29', '2026-03-29', 'Europe/Berlin')).toEqual([
      { start: '2026-03-28T23:00:00.000Z', end: '2026-03-29T01:00:00.000Z', offsetSeconds: 3600 },
      { start: '2026-03-29T01:00:00.000Z', end: '2026-03-29T22:00:00.000Z', offsetSeconds: 7200 },
    ]);
  });

  it('when the clocks skip midnight (America/Santiago, 2026-09-06), then that day begins at the jump', () => {
    expect(segmentsOf('2026-09-05', '2026-09-06', 'America/Santiago')).toEqual([
      { start: '2026-09-05T04:00:00.000Z', end: '2026-09-06T04:00:00.000Z', offsetSeconds: -14400 },
      { start: '2026-09-06T04:00:00.000Z', end: '2026-09-07T03:00:00.000Z', offsetSeconds: -10800 },
    ]);
  });

  it('when a zone has a constant offset, then a whole year is one segment', () => {
    expect(segmentsOf('2026-01-01', '2026-12-31', 'Asia/Kolkata')).toEqual([
      { start: '2025-12-31T18:30:00.000Z', end: '2026-12-31T18:30:00.000Z', offsetSeconds: 19800 },
    ]);
  });
});

describe('readCalendarRange', () => {
  it('when the range is valid, then every day from from to to is listed, the zone in its canonical spelling', () => {
    expect(readCalendarRange({ from: '2028-02-28', to: '2028-03-01', time_zone: 'europe/berlin' })).toEqual({
      from: '2028-02-28',
      to: '2028-03-01',
      timeZone: 'Europe/Berlin',
      days: ['2028-02-28', '2028-02-29', '2028-03-01'],
    });
  });

  it('when everything is wrong at once, then each parameter is named', () => {
    expect(() =>
      readCalendarRange({ from: '2026-02-29', to: '2026-04-31', time_zone: 'Nowhere/Land' }),
    ).toThrow(
      expect.objectContaining({
        fieldErrors: [
          { field: 'query.from', message: '2026-02-29 is not a real calendar date (YYYY-MM-DD)' },
          { field: 'query.to', message: '2026-04-31 is not a real calendar date (YYYY-MM-DD)' },
          {
            field: 'query.time_zone',
            message: 'Nowhere/Land is not a time zone this API knows (an IANA name such as Europe/Berlin)',
          },
        ],
      }),
    );
  });

  it('when to is before from, then query.to says so', () => {
    expect(() => readCalendarRange({ from: '2026-03-02', to: '2026-03-01' })).toThrow(
      expect.objectContaining({
        fieldErrors: [{ field: 'query.to', message: 'must not be before from (2026-03-02)' }],
      }),
    );
  });
});
