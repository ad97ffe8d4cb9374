/**
 * The contract: one interface, imported by both the server (which must implement it) and the client (whose
 * calls are checked against it). Each method takes one keyword-arguments object, as on oslo's wire.
 */
export interface InventoryAPI {
  /** Adds stock; returns the new count. */
  add(args: { sku: string; count: number }): number;
  /** Current count of one item, or `null` when unknown. */
  get(args: { sku: string }): { sku: string; count: number } | null;
  /** Every item, largest stock first. */
  list(args?: { limit?: number }): Array<{ sku: string; count: number }>;
  /** Forgets an item (used as a cast: nothing to return). */
  forget(args: { sku: string }): void;
}

/** The topic the service listens on. */
export const TOPIC = 'inventory';
