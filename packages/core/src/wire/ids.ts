import { randomFillSync } from 'node:crypto';

// Random bytes drawn 8 KiB at a time: randomUUID() plus taking its dashes out costs more than the
// rest of building a message on the in-memory transport.
const POOL = Buffer.allocUnsafe(16 * 512);
let poolOffset = POOL.length;

/** A random (version 4) UUID as 32 hex digits, as Python's `uuid.uuid4().hex`: oslo's message and queue ids. */
export function uuidHex(): string {
  const o = nextUuidBytes();
  return POOL.toString('hex', o, o + 16);
}

/** Takes the next 16 random bytes of the pool and makes them a version 4 UUID (RFC 4122 variant); returns their offset. */
function nextUuidBytes(): number {
  if (poolOffset === POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const o = poolOffset;
  poolOffset += 16;
  POOL[o + 6] = (POOL[o + 6]! & 0x0f) | 0x40;
  POOL[o + 8] = (POOL[o + 8]! & 0x3f) | 0x80;
  return o;
}

/** The two ASCII hex digits of each byte value. */
const HEX_DIGITS = Buffer.from(
  Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0')).join(''),
  'latin1',
);
const DASHED = Buffer.allocUnsafe(36);

/**
 * A random (version 4) UUID in its dashed form, as Python's `str(uuid.uuid4())`: oslo's notification
 * `message_id`. Built in one buffer from core's random pool (randomUUID() strings together 20 pieces).
 */
export function uuid4(): string {
  const o = nextUuidBytes();
  let at = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) DASHED[at++] = 0x2d;
    const d = POOL[o + i]! * 2;
    DASHED[at++] = HEX_DIGITS[d]!;
    DASHED[at++] = HEX_DIGITS[d + 1]!;
  }
  return DASHED.toString('latin1', 0, 36);
}
