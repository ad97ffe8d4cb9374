import { MessagingException } from './errors.js';

/** The SPI version this core implements; plugins declare the version they were built for. */
export const SPI_VERSION = 2;

const VERSION_RE = /^\d+\.\d+(\.\d+)?$/;

/**
 * Throws unless `version` looks like `major.minor[.revision]` (oslo's rule for `prepare(version=)`).
 *
 * @throws {@link index!MessagingException} when it does not
 */
export function assertVersion(version: string): void {
  if (!VERSION_RE.test(version)) {
    throw new MessagingException(`Version must contain a major and minor integer. Got ${version}`);
  }
}

function parts(v: string): [number, number, number] {
  const [a = '0', b = '0', c = '0'] = v.split('.');
  return [Number(a), Number(b), Number(c)];
}

/**
 * oslo's `version_is_compatible(imp, req)`: can an implementation at `impVersion` serve a request for
 * `reqVersion`? Major must be equal; the requested minor (and revision) must not exceed the implemented one.
 * An absent implementation version is compatible with everything; an absent request version with nothing.
 */
export function versionIsCompatible(
  impVersion: string | null | undefined,
  reqVersion: string | null | undefined,
): boolean {
  if (impVersion == null) return true;
  if (reqVersion == null) return false;
  const [iMaj, iMin, iRev] = parts(impVersion);
  const [rMaj, rMin, rRev] = parts(reqVersion);
  if (iMaj !== rMaj) return false;
  if (rMin > iMin) return false;
  if (rMin === iMin && rRev > iRev) return false;
  return true;
}
