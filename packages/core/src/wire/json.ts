import { MalformedMessage } from '../errors.js';

const NON_FINITE = /(?<![\w."])(-?Infinity|NaN)(?![\w"])/;
const MARK = '\u0000oslo-nonfinite:';

/**
 * Parses JSON the way Python's `json` writes it: also accepts the bare `NaN`, `Infinity` and
 * `-Infinity` literals Python emits. Throws {@link index!MalformedMessage} on anything else that is not JSON.
 *
 * @throws {@link index!MalformedMessage} when the text is not JSON
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!NON_FINITE.test(text))
      throw new MalformedMessage(`Message is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  // Slow path: rewrite non-finite literals outside strings into marked strings, then revive them.
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      continue;
    }
    const m = /^(-?Infinity|NaN)/.exec(text.slice(i, i + 9));
    if (m) {
      out += JSON.stringify(MARK + m[1]);
      i += m[1]!.length - 1;
      continue;
    }
    out += ch;
  }
  try {
    return JSON.parse(out, (_k, v: unknown) => {
      if (typeof v === 'string' && v.startsWith(MARK)) {
        const lit = v.slice(MARK.length);
        return lit === 'NaN' ? NaN : lit === 'Infinity' ? Infinity : -Infinity;
      }
      return v;
    });
  } catch (err) {
    throw new MalformedMessage(`Message is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Parses bytes or text as UTF-8 JSON ({@link parseJson}).
 *
 * @throws {@link index!MalformedMessage} when the body is not JSON
 */
export function parseJsonBody(body: Uint8Array | string): unknown {
  if (typeof body === 'string') return parseJson(body);
  // A Buffer (what the AMQP and ZeroMQ clients deliver) decodes as it is; another view is wrapped first.
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return parseJson(bytes.toString('utf8'));
}
