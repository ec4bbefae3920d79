import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { QTY_HINT, QTY_RANGE, parseQty } from '../src/order-quantity';

/** The `qty` schema of an order line in a generated contract document. */
async function qtySchema(document: string, schemas: (all: Record<string, any>) => any) {
  const text = await readFile(new URL(`../../generated/${document}`, import.meta.url), 'utf8');
  return schemas((JSON.parse(text) as { components: { schemas: Record<string, any> } }).components.schemas);
}

describe('an order line’s quantity', () => {
  it('when the contracts are generated, then the console’s range is theirs', async () => {
    const orchestrator = await qtySchema(
      'orchestrator.openapi.json',
      (all) => all.OrderItemInput.properties.qty,
    );
    const orders = await qtySchema('orders.openapi.json', (all) => all.Qty);
    for (const schema of [orchestrator, orders]) {
      expect({ min: schema.minimum, max: schema.maximum }).toEqual(QTY_RANGE);
    }
    expect(QTY_HINT).toBe('A whole number from 1 to 1,000');
  });

  it.each([
    ['1', 1],
    [' 1000 ', 1000],
    ['0', undefined],
    ['1001', undefined],
    ['99999999', undefined],
    ['2.5', undefined],
    ['', undefined],
  ])('when %j is typed, then it reads as %s', (text, units) => {
    expect(parseQty(text)).toBe(units);
  });
});
