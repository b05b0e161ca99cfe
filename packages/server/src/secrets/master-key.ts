import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

/** A master key is 32 random bytes written as 43 base64url characters (RFC 4648 §5, no padding). */
export const MASTER_KEY_FORMAT = '43 base64url characters encoding 32 random bytes (make one with `npx keyway keys generate-master`)';
const MASTER_KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The master key text, or undefined when it is not exactly one well-formed key (whitespace around it is allowed). */
export function parseMasterKey(text: string): MasterKey | undefined {
  const trimmed = text.trim();
  if (!MASTER_KEY_PATTERN.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed, 'base64url');
  // 43 characters can carry stray low bits; only the canonical encoding of 32 bytes is a key.
  if (bytes.length !== 32 || bytes.toString('base64url') !== trimmed) return undefined;
  return new MasterKey(bytes);
}

/** A new random master key in its text form. */
export function generateMasterKeyText(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The key that wraps every data key (envelope encryption, NIST SP 800-57 "key-wrapping key").
 * Its id, an HMAC of a fixed label under the key, names it in every envelope and in the check
 * row, so a wrong key is told apart at start-up without trying to decrypt anything. The key
 * bytes never leave this object: it prints and serialises as its id only.
 */
export class MasterKey {
  readonly id: string;
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new TypeError('a master key is 32 bytes');
    this.#key = Buffer.from(key);
    this.id = createHmac('sha256', this.#key).update('keyway master key id').digest().subarray(0, 9).toString('base64url');
  }

  /** AES-256-GCM under the master key: iv ‖ ciphertext ‖ tag. */
  wrap(dataKey: Buffer, aad: string): Buffer {
    return gcmSeal(this.#key, dataKey, aad);
  }

  /** The data key, or an exception when the wrapped bytes or their AAD were altered (GCM tag). */
  unwrap(wrapped: Buffer, aad: string): Buffer {
    return gcmOpen(this.#key, wrapped, aad);
  }

  /** A 32-byte key for one purpose, derived from the master key (HMAC-SHA-256 of the label, RFC 2104): e.g. cookie signing keys. */
  derive(label: string): Buffer {
    return createHmac('sha256', this.#key).update(`keyway derived key: ${label}`).digest();
  }

  toJSON(): string {
    return `[master key ${this.id}]`;
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}

export function gcmSeal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, ciphertext, cipher.getAuthTag()]);
}

export function gcmOpen(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('sealed value too short');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
}
