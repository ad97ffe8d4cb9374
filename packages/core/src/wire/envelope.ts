import { MalformedMessage, UnsupportedEnvelopeVersion } from '../errors.js';
import { versionIsCompatible } from '../version.js';
import { parseJsonBody } from './json.js';

/** The envelope version oslo.messaging writes and reads. */
export const ENVELOPE_VERSION = '2.0';
const VERSION_KEY = 'oslo.version';
const MESSAGE_KEY = 'oslo.message';

/** Wraps a message in oslo's 2.0 envelope: `{"oslo.version": "2.0", "oslo.message": "<json>"}`. */
export function serializeEnvelope(message: Readonly<Record<string, unknown>>): string {
  // Byte for byte JSON.stringify({"oslo.version": "2.0", "oslo.message": JSON.stringify(message)}),
  // without building the outer object.
  return ENVELOPE_HEAD + JSON.stringify(JSON.stringify(message)) + '}';
}
const ENVELOPE_HEAD = `{${JSON.stringify(VERSION_KEY)}:${JSON.stringify(ENVELOPE_VERSION)},${JSON.stringify(MESSAGE_KEY)}:`;

/**
 * Decodes a message body: an enveloped message (version 2.x) or, as oslo accepts, a bare JSON object
 * (v1 notifications, legacy senders). Throws {@link index!MalformedMessage} or {@link index!UnsupportedEnvelopeVersion}.
 *
 * @throws {@link index!MalformedMessage} when the body is not JSON, not an object, or its `oslo.message` is not a JSON object
 * @throws {@link index!UnsupportedEnvelopeVersion} when `oslo.version` is not 2.x
 */
export function deserializeEnvelope(body: Uint8Array | string): Record<string, unknown> {
  const outer = parseJsonBody(body);
  if (typeof outer !== 'object' || outer === null || Array.isArray(outer))
    throw new MalformedMessage('Message body is not a JSON object');
  const o = outer as Record<string, unknown>;
  if (!(VERSION_KEY in o) || !(MESSAGE_KEY in o)) return o;
  const version = o[VERSION_KEY];
  if (
    version !== ENVELOPE_VERSION &&
    (typeof version !== 'string' || !/^\d+\.\d+/.test(version) || !versionIsCompatible(ENVELOPE_VERSION, version))
  ) {
    throw new UnsupportedEnvelopeVersion(
      `Unsupported oslo envelope version ${JSON.stringify(version)} (supported: ${ENVELOPE_VERSION})`,
    );
  }
  const inner = o[MESSAGE_KEY];
  if (typeof inner !== 'string') throw new MalformedMessage('"oslo.message" must be a JSON string');
  const msg = parseJsonBody(inner);
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
    throw new MalformedMessage('"oslo.message" is not a JSON object');
  return msg as Record<string, unknown>;
}
