import { randomFillSync } from 'node:crypto';

// Random bytes drawn 8 KiB at a time: randomUUID() plus taking its dashes out costs more than the
// rest of building a message on the in-memory transport.
const POOL = Buffer.allocUnsafe(16 * 512);
let poolOffset = POOL.length;

/** A random (version 4) UUID as 32 hex digits, as Python's `uuid.uuid4().hex`: oslo's message and queue ids. */
export function uuidHex(): string {
  if (poolOffset === POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const o = poolOffset;
  poolOffset += 16;
  POOL[o + 6] = (POOL[o + 6]! & 0x0f) | 0x40;
  POOL[o + 8] = (POOL[o + 8]! & 0x3f) | 0x80;
  return POOL.toString('hex', o, o + 16);
}
