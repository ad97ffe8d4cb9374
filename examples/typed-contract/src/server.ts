import type { Context, TypedEndpoint } from '@oslo-messaging/core';
import type { InventoryAPI } from './contract.js';

/**
 * The endpoint: `implements TypedEndpoint<InventoryAPI>` makes the compiler check every method of the contract
 * is here, with `(ctxt, args)` and the contract's argument and result types.
 */
export class InventoryManager implements TypedEndpoint<InventoryAPI> {
  readonly #stock = new Map<string, number>();

  add(_ctxt: Context, { sku, count }: { sku: string; count: number }): number {
    const now = (this.#stock.get(sku) ?? 0) + count;
    this.#stock.set(sku, now);
    return now;
  }

  get(_ctxt: Context, { sku }: { sku: string }): { sku: string; count: number } | null {
    const count = this.#stock.get(sku);
    return count === undefined ? null : { sku, count };
  }

  async list(_ctxt: Context, args: { limit?: number } | undefined): Promise<Array<{ sku: string; count: number }>> {
    const all = [...this.#stock].map(([sku, count]) => ({ sku, count })).sort((a, b) => b.count - a.count);
    return all.slice(0, args?.limit ?? all.length);
  }

  forget(_ctxt: Context, { sku }: { sku: string }): void {
    this.#stock.delete(sku);
  }
}
