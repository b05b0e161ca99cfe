import { randomBytes } from 'node:crypto';
import { gcmOpen, gcmSeal, type MasterKey } from './master-key.ts';

/**
 * Envelope encryption of one secret stored in a database column:
 *
 *   kw1.<master key id>.<data key wrapped by the master key>.<secret encrypted with the data key>
 *
 * Each record gets its own random data key (AES-256-GCM, 96-bit random IV, 128-bit tag), so
 * rotating the master key re-wraps 32-byte data keys and never touches the secrets themselves.
 * The record's identity (table, column, primary key) is the additional authenticated data of
 * both layers: a ciphertext copied into another row or another tenant fails authentication
 * instead of decrypting there.
 */
const VERSION = 'kw1';

export class SealedSecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedSecretError';
  }
}

interface Envelope {
  keyId: string;
  wrapped: Buffer;
  data: Buffer;
}

function parse(sealed: string): Envelope {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) throw new SealedSecretError('not a sealed secret');
  return { keyId: parts[1]!, wrapped: Buffer.from(parts[2]!, 'base64url'), data: Buffer.from(parts[3]!, 'base64url') };
}

function format(keyId: string, wrapped: Buffer, data: Buffer): string {
  return [VERSION, keyId, wrapped.toString('base64url'), data.toString('base64url')].join('.');
}

/** The wrap binds the data key to the master key id and to the record, like the data layer. */
const wrapAad = (keyId: string, aad: string) => `${keyId}\0${aad}`;

/** Whether a stored value is an envelope (clear values of the sealed columns never contain dots). */
export function isSealed(value: string): boolean {
  return value.startsWith(`${VERSION}.`);
}

/** The id of the master key an envelope is wrapped under. */
export function sealedKeyId(sealed: string): string {
  return parse(sealed).keyId;
}

export function sealSecret(masterKey: MasterKey, plaintext: string, aad: string): string {
  const dataKey = randomBytes(32);
  const data = gcmSeal(dataKey, Buffer.from(plaintext, 'utf8'), aad);
  return format(masterKey.id, masterKey.wrap(dataKey, wrapAad(masterKey.id, aad)), data);
}

export function openSecret(masterKey: MasterKey, sealed: string, aad: string): string {
  const envelope = parse(sealed);
  if (envelope.keyId !== masterKey.id) throw new SealedSecretError(`sealed under master key ${envelope.keyId}, not the configured ${masterKey.id}`);
  try {
    const dataKey = masterKey.unwrap(envelope.wrapped, wrapAad(envelope.keyId, aad));
    return gcmOpen(dataKey, envelope.data, aad).toString('utf8');
  } catch {
    // GCM authentication failed: altered bytes, or a value moved from another record.
    throw new SealedSecretError('sealed secret failed authentication');
  }
}

/** The same secret with its data key wrapped under `to` instead of `from` (the secret's ciphertext is unchanged). */
export function rewrapSecret(sealed: string, aad: string, from: MasterKey, to: MasterKey): string {
  const envelope = parse(sealed);
  if (envelope.keyId !== from.id) throw new SealedSecretError(`sealed under master key ${envelope.keyId}, not ${from.id}`);
  let dataKey: Buffer;
  try {
    dataKey = from.unwrap(envelope.wrapped, wrapAad(from.id, aad));
  } catch {
    throw new SealedSecretError('sealed secret failed authentication');
  }
  return format(to.id, to.wrap(dataKey, wrapAad(to.id, aad)), envelope.data);
}
