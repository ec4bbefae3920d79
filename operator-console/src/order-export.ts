import type { ApiClients } from './api/clients';
import { problemOf } from './api/problem';
import type { Problem } from './contract-types';
import { orderListQuery, type OrderFilters } from './order-filters';

/** The largest page the contract allows: fewer round trips for a long export. */
const EXPORT_PAGE_SIZE = 100;

/**
 * Downloads every order matching the filters as one CSV file (`orders-<date>.csv`). Pages
 * are fetched one after the other and each is turned into CSV text at once, so only the
 * text is kept, not the orders. The CSV module (and Papa Parse) is loaded on first export,
 * not with the console. Resolves with the problem of a failed page (nothing is downloaded
 * then), else undefined; `onProgress` gets the number of orders written so far.
 */
export async function downloadOrdersCsv(
  api: ApiClients,
  filters: OrderFilters,
  onProgress: (ordersWritten: number) => void,
): Promise<Problem | undefined> {
  const { ordersToCsv } = await import('./csv');
  // A byte order mark, so spreadsheet programs read the file as UTF-8 (names with accents).
  const parts: string[] = ['\uFEFF'];
  let cursor: string | undefined;
  let written = 0;
  do {
    const { data, error, response } = await api.orders.GET('/orders', {
      params: { query: { ...orderListQuery(filters), cursor, limit: EXPORT_PAGE_SIZE } },
    });
    if (!data) return problemOf(error, response);
    parts.push(ordersToCsv(data.data, { withHeader: written === 0 && cursor === undefined }));
    written += data.data.length;
    onProgress(written);
    cursor = data.next_cursor ?? undefined;
  } while (cursor);
  saveFile(
    new Blob(parts, { type: 'text/csv;charset=utf-8' }),
    `orders-${new Date().toISOString().slice(0, 10)}.csv`,
  );
  return undefined;
}

function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  // The click has started the download; the URL is no longer needed once it has been read.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
