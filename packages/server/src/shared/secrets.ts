import { randomBytes } from './random-bytes.ts';

/** A high-entropy secret with a recognisable prefix, so leaked secrets can be found by scanners. */
export function newSecret(prefix: string, bytes = 32): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}
