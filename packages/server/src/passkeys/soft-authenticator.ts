// A software WebAuthn authenticator + client (tests, and the sandbox of journey dry-runs): it answers PublicKeyCredentialCreation/RequestOptionsJSON the
// way a browser's `PublicKeyCredential.toJSON()` would, and can inject exactly one defect per call so a server test can
// assert one specific rejection. Keys and signatures come from node:crypto, CBOR from @levischuck/tiny-cbor.
//
// Deliberate simplifications (documented so tests do not rely on them by accident):
// - The authenticator always uses its own `alg`, ignoring `pubKeyCredParams` (that is how a test makes an algorithm
//   mismatch), and its own `attestationFormat`, ignoring `options.attestation`.
// - Every credential is discoverable (resident); BE/BS/UV/UP are properties of the authenticator, not the credential.
// - `authenticatorData` carries extensions only when a test injects them (`extensions`); `clientExtensionResults`
//   only answers `credProps`.
// - Attestation: 'none', 'packed' (self, or full with `attestationCertificate`) and 'fido-u2f' (needs a certificate).
import { constants, createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { encodeCBOR } from '@levischuck/tiny-cbor';
import type { CBORType } from '@levischuck/tiny-cbor';
import type {
  AuthenticationExtensionsClientOutputs,
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/**
 * COSE algorithm identifiers the soft authenticator can create keys for: every one Keyway verifies. ES256/384/512
 * (P-256/384/521), EdDSA (Ed25519), RS256/384/512 and RS1 (RSASSA-PKCS1-v1_5), PS256/384/512 (RSASSA-PSS, salt as
 * long as the hash, RFC 8230 §2).
 */
export type SoftAlgorithm = -7 | -35 | -36 | -8 | -257 | -258 | -259 | -65535 | -37 | -38 | -39;

/** The curve of each ECDSA algorithm, and the hash of each ECDSA and RSA one. */
const EC_CURVE: Partial<Record<SoftAlgorithm, { crv: number; namedCurve: string }>> = {
  [-7]: { crv: 1, namedCurve: 'P-256' },
  [-35]: { crv: 2, namedCurve: 'P-384' },
  [-36]: { crv: 3, namedCurve: 'P-521' },
};
const HASH: Partial<Record<SoftAlgorithm, string>> = {
  [-7]: 'sha256',
  [-35]: 'sha384',
  [-36]: 'sha512',
  [-257]: 'sha256',
  [-258]: 'sha384',
  [-259]: 'sha512',
  [-65535]: 'sha1',
  [-37]: 'sha256',
  [-38]: 'sha384',
  [-39]: 'sha512',
};
const PSS: ReadonlySet<SoftAlgorithm> = new Set([-37, -38, -39]);
export type SoftAttestationFormat = 'none' | 'packed' | 'fido-u2f';
export type SoftAttachment = 'platform' | 'cross-platform';

export interface SoftAuthenticatorOptions {
  /** Key algorithm for new credentials. Default -7 (ES256). */
  alg?: SoftAlgorithm;
  /** 16 bytes, or a UUID string. Default all zeros. */
  aaguid?: Uint8Array | string;
  /** BE flag. Default false. */
  backupEligible?: boolean;
  /** BS flag. Default false. */
  backupState?: boolean;
  /** UV flag on every response. Default true. */
  userVerified?: boolean;
  /** UP flag on every response. Default true. */
  userPresent?: boolean;
  /** Counter given to new credentials. Default 0. */
  signCount?: number;
  /** Whether each assertion increments the credential's counter (false models synced passkeys, which send 0). Default true. */
  incrementSignCount?: boolean;
  /** Attestation statement format. 'packed' is self-attestation unless `attestationCertificate` is given. Default 'none'. */
  attestationFormat?: SoftAttestationFormat;
  /**
   * The attestation certificate chain (DER, leaf first) and the leaf's private key: 'packed' becomes full (basic)
   * attestation with x5c; 'fido-u2f' needs it. The leaf key signs with ES256 (P-256) or ES384 (P-384).
   */
  attestationCertificate?: { x5c: Uint8Array[]; privateKey: KeyObject };
  /** `authenticatorAttachment` reported. Default 'platform'. */
  attachment?: SoftAttachment;
  /** `response.transports` reported on registration. Default ['hybrid', 'internal'] for platform, ['usb'] otherwise. */
  transports?: string[];
}

/** What the browser knows about the calling page. */
export interface ClientContext {
  /** The page's origin, e.g. 'https://login.example.com'. The RP ID must be this host or a parent domain of it. */
  origin: string;
  crossOrigin?: boolean;
  /** Sent when given (a browser sends it only with `crossOrigin` true; a test may send it without). */
  topOrigin?: string;
}

export interface AuthenticationContext extends ClientContext {
  /** The account the user picks when several stored credentials match (default: first allowed, or newest discoverable). */
  credentialId?: string;
}

/** Each field injects exactly one defect into the response; everything else stays correct (and correctly signed). */
export interface CommonDefects {
  /** clientDataJSON.type to send instead of 'webauthn.create' / 'webauthn.get'. */
  type?: string;
  /** clientDataJSON.challenge to send instead of the options' challenge. */
  challenge?: string;
  /** clientDataJSON.origin to send instead of ctx.origin. */
  origin?: string;
  /** Put SHA-256 of this RP ID into authenticatorData instead of the real one. */
  rpIdHash?: string;
  /** UP=0. */
  userPresent?: false;
  /** UV=0. */
  userVerified?: false;
  /** BS=1 with BE=0. */
  backupStateWithoutEligible?: true;
  /** Sign different data (one bit of the client data hash flipped); the signature is well-formed but wrong. */
  badSignature?: true;
  /** clientDataJSON.tokenBinding to send (any JSON value). */
  tokenBinding?: unknown;
  /** Set ED=1 and append these bytes (the authenticator extensions; empty for none at all) to authenticatorData. */
  extensions?: Uint8Array;
}

export interface RegistrationDefects extends CommonDefects {
  /** Length in bytes of the new credential ID (the spec caps it at 1023). Default 32. */
  credentialIdLength?: number;
  /** The COSE_Key to put into attested credential data instead of the credential's, made from its real public key. */
  publicKey?: (credentialKey: KeyObject) => Uint8Array;
  /** attStmt.alg of a packed attestation instead of the signing key's algorithm. */
  attStmtAlg?: number;
  /** Bytes appended after the attestationObject's CBOR map. */
  trailingBytes?: Uint8Array;
  /** Entries added to the attestation statement (e.g. making a "none" statement, which must be empty, not so). */
  attStmtEntries?: [string, CBORType][];
  /** x5c to send instead of the attestation certificate chain (the signature is still by the real leaf key). */
  x5c?: Uint8Array[];
}

export interface AuthenticationDefects extends CommonDefects {
  /** userHandle to report instead of the credential's (base64url), or null to omit it. */
  userHandle?: string | null;
  /** Counter to report in authenticatorData (the stored counter still advances normally). */
  signCount?: number;
  /** AT=1 with the credential's attested credential data in the assertion's authenticatorData. */
  attestedCredentialData?: true;
}

/** A credential held by a SoftAuthenticator. `credentials()` returns copies; `importCredential` copies too. */
export interface SoftCredential {
  /** Credential ID, base64url. */
  id: string;
  rpId: string;
  /** user.id from the creation options, base64url. */
  userHandle: string;
  alg: SoftAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  signCount: number;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;
const FLAG_ED = 0x80;

export class SoftAuthenticator {
  readonly alg: SoftAlgorithm;
  readonly aaguid: Uint8Array;
  readonly backupEligible: boolean;
  readonly backupState: boolean;
  readonly userVerified: boolean;
  readonly userPresent: boolean;
  readonly initialSignCount: number;
  readonly incrementSignCount: boolean;
  readonly attestationFormat: SoftAttestationFormat;
  readonly attestationCertificate: { x5c: Uint8Array[]; privateKey: KeyObject } | undefined;
  readonly attachment: SoftAttachment;
  readonly transports: readonly string[];
  readonly #credentials = new Map<string, SoftCredential>();

  constructor(options: SoftAuthenticatorOptions = {}) {
    this.alg = options.alg ?? -7;
    this.aaguid = parseAaguid(options.aaguid);
    this.backupEligible = options.backupEligible ?? false;
    this.backupState = options.backupState ?? false;
    this.userVerified = options.userVerified ?? true;
    this.userPresent = options.userPresent ?? true;
    this.initialSignCount = options.signCount ?? 0;
    this.incrementSignCount = options.incrementSignCount ?? true;
    this.attestationFormat = options.attestationFormat ?? 'none';
    this.attestationCertificate = options.attestationCertificate;
    if (this.attestationFormat === 'fido-u2f' && (!this.attestationCertificate || this.alg !== -7)) {
      throw new Error("attestationFormat 'fido-u2f' needs an attestationCertificate and alg -7");
    }
    this.attachment = options.attachment ?? 'platform';
    this.transports = options.transports ?? (this.attachment === 'platform' ? ['hybrid', 'internal'] : ['usb']);
  }

  /** navigator.credentials.create(): creates and stores a credential, returns the browser's JSON for it. */
  register(options: PublicKeyCredentialCreationOptionsJSON, ctx: ClientContext, defects: RegistrationDefects = {}): RegistrationResponseJSON {
    const rpId = options.rp.id ?? new URL(ctx.origin).hostname;
    assertRpIdFitsOrigin(rpId, ctx.origin);
    for (const excluded of options.excludeCredentials ?? []) {
      const held = this.#credentials.get(excluded.id);
      if (held && held.rpId === rpId) {
        throw webAuthnError('InvalidStateError', 'The authenticator already holds a credential in excludeCredentials');
      }
    }
    if (defects.badSignature && this.attestationFormat === 'none') {
      throw new Error("badSignature needs attestationFormat 'packed': a 'none' attestation carries no signature");
    }
    const idLength = defects.credentialIdLength ?? 32;
    if (!Number.isInteger(idLength) || idLength < 1 || idLength > 0xffff) {
      throw new RangeError(`credentialIdLength must be 1..65535, got ${idLength}`);
    }

    const credentialId = randomBytes(idLength);
    const { privateKey, publicKey } = generateKeys(this.alg);
    const credential: SoftCredential = {
      id: b64url(credentialId),
      rpId,
      userHandle: options.user.id,
      alg: this.alg,
      privateKey,
      publicKey,
      signCount: this.initialSignCount,
    };

    const clientDataJSON = encodeClientData('webauthn.create', options.challenge, ctx, defects);
    const idLengthBytes = Buffer.alloc(2);
    idLengthBytes.writeUInt16BE(idLength);
    const cosePublicKey = defects.publicKey ? defects.publicKey(publicKey) : encodeCosePublicKey(publicKey, this.alg);
    const rpIdHash = sha256(Buffer.from(defects.rpIdHash ?? rpId, 'utf8'));
    const authData = Buffer.concat([
      this.#authDataHeader(defects.rpIdHash ?? rpId, FLAG_AT, credential.signCount, defects),
      this.aaguid,
      idLengthBytes,
      credentialId,
      cosePublicKey,
      defects.extensions ?? Buffer.alloc(0),
    ]);

    const attStmt = new Map<string, CBORType>();
    const certificate = this.attestationCertificate;
    if (this.attestationFormat === 'packed' && certificate) {
      // §8.2 full attestation: the attestation key signs authenticatorData ‖ clientDataHash.
      const signer = attestationSigner(certificate.privateKey);
      attStmt.set('alg', defects.attStmtAlg ?? signer.alg);
      attStmt.set('sig', signer.sign(Buffer.concat([authData, clientDataHashOf(clientDataJSON, defects.badSignature === true)])));
      attStmt.set('x5c', defects.x5c ?? certificate.x5c);
    } else if (this.attestationFormat === 'packed') {
      attStmt.set('alg', defects.attStmtAlg ?? this.alg);
      attStmt.set('sig', signAssertion(credential, authData, clientDataJSON, defects.badSignature === true));
    } else if (this.attestationFormat === 'fido-u2f' && certificate) {
      // §8.6: the attestation key signs 0x00 ‖ rpIdHash ‖ clientDataHash ‖ credentialId ‖ 0x04 ‖ x ‖ y.
      const jwk = publicKey.export({ format: 'jwk' });
      const signed = Buffer.concat([
        Buffer.from([0x00]),
        rpIdHash,
        clientDataHashOf(clientDataJSON, defects.badSignature === true),
        credentialId,
        Buffer.from([0x04]),
        Buffer.from(jwk.x!, 'base64url'),
        Buffer.from(jwk.y!, 'base64url'),
      ]);
      // U2F attestation signatures are always ECDSA with SHA-256, whatever key the certificate holds.
      attStmt.set('sig', new Uint8Array(sign('sha256', signed, { key: certificate.privateKey, dsaEncoding: 'der' })));
      attStmt.set('x5c', defects.x5c ?? certificate.x5c);
    }
    for (const [key, value] of defects.attStmtEntries ?? []) attStmt.set(key, value);
    const attestationMap = encodeCBOR(
      new Map<string, CBORType>([
        ['fmt', this.attestationFormat],
        ['attStmt', attStmt],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    const attestationObject = defects.trailingBytes ? Buffer.concat([attestationMap, defects.trailingBytes]) : attestationMap;

    this.#credentials.set(credential.id, credential);

    const clientExtensionResults: AuthenticationExtensionsClientOutputs = {};
    if (options.extensions?.credProps) clientExtensionResults.credProps = { rk: true };
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: [...this.transports],
        publicKeyAlgorithm: this.alg,
        publicKey: b64url(publicKey.export({ type: 'spki', format: 'der' })),
        authenticatorData: b64url(authData),
      },
      authenticatorAttachment: this.attachment,
      clientExtensionResults,
    };
  }

  /**
   * navigator.credentials.get(): signs an assertion with a stored credential. With a non-empty allowCredentials only
   * those credentials qualify; with an empty one, any credential for the RP ID (discoverable flow). To answer with a
   * credential the server did not allow (e.g. another user's), pass options with allowCredentials emptied and pick it
   * with ctx.credentialId, then verify against the original options.
   */
  authenticate(options: PublicKeyCredentialRequestOptionsJSON, ctx: AuthenticationContext, defects: AuthenticationDefects = {}): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(ctx.origin).hostname;
    assertRpIdFitsOrigin(rpId, ctx.origin);
    const forRp = [...this.#credentials.values()].filter((c) => c.rpId === rpId);
    const allow = options.allowCredentials ?? [];
    const candidates = allow.length > 0 ? allow.flatMap((d) => forRp.filter((c) => c.id === d.id)) : forRp.reverse(); // newest first, like an account picker
    const credential = ctx.credentialId === undefined ? candidates[0] : candidates.find((c) => c.id === ctx.credentialId);
    if (!credential) {
      throw webAuthnError('NotAllowedError', `No matching credential for RP ID ${rpId}`);
    }

    if (this.incrementSignCount) credential.signCount += 1;
    const clientDataJSON = encodeClientData('webauthn.get', options.challenge, ctx, defects);
    const header = this.#authDataHeader(
      defects.rpIdHash ?? rpId,
      defects.attestedCredentialData ? FLAG_AT : 0,
      defects.signCount ?? credential.signCount,
      defects,
    );
    const idBytes = Buffer.from(credential.id, 'base64url');
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(idBytes.length);
    const authData = Buffer.concat([
      header,
      ...(defects.attestedCredentialData ? [this.aaguid, idLength, idBytes, encodeCosePublicKey(credential.publicKey, credential.alg)] : []),
      defects.extensions ?? Buffer.alloc(0),
    ]);
    const signature = signAssertion(credential, authData, clientDataJSON, defects.badSignature === true);
    const userHandle = defects.userHandle === undefined ? credential.userHandle : defects.userHandle;

    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(userHandle === null ? {} : { userHandle }),
      },
      authenticatorAttachment: this.attachment,
      clientExtensionResults: {},
    };
  }

  /** Copies of the stored credentials, oldest first. */
  credentials(): SoftCredential[] {
    return [...this.#credentials.values()].map((c) => ({ ...c }));
  }

  /** A copy of one stored credential. */
  credential(id: string): SoftCredential | undefined {
    const found = this.#credentials.get(id);
    return found && { ...found };
  }

  /** Stores a copy of a credential (e.g. one taken from another SoftAuthenticator's `credentials()`). */
  importCredential(credential: SoftCredential): void {
    this.#credentials.set(credential.id, { ...credential });
  }

  removeCredential(id: string): boolean {
    return this.#credentials.delete(id);
  }

  #authDataHeader(rpIdForHash: string, extraFlags: number, signCount: number, defects: CommonDefects): Buffer {
    let flags = extraFlags;
    if (defects.extensions) flags |= FLAG_ED;
    if (defects.userPresent ?? this.userPresent) flags |= FLAG_UP;
    if (defects.userVerified ?? this.userVerified) flags |= FLAG_UV;
    if (defects.backupStateWithoutEligible) {
      flags |= FLAG_BS;
    } else {
      if (this.backupEligible) flags |= FLAG_BE;
      if (this.backupState) flags |= FLAG_BS;
    }
    const header = Buffer.alloc(37);
    sha256(Buffer.from(rpIdForHash, 'utf8')).copy(header, 0);
    header.writeUInt8(flags, 32);
    header.writeUInt32BE(signCount >>> 0, 33);
    return header;
  }
}

/** A COSE_Key from its entries, in the order given (for keys that do not fit their alg). */
export function encodeCoseKey(entries: [number, CBORType][]): Uint8Array {
  return encodeCBOR(new Map<number, CBORType>(entries));
}

/** COSE_Key encoding of a public key (what authenticatorData and SimpleWebAuthn's `credential.publicKey` hold). */
export function encodeCosePublicKey(publicKey: KeyObject, alg: SoftAlgorithm): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const bytes = (value: string | undefined): Uint8Array => {
    if (value === undefined) throw new Error(`JWK export of a key for alg ${alg} lacks a component`);
    return new Uint8Array(Buffer.from(value, 'base64url'));
  };
  const curve = EC_CURVE[alg];
  let entries: [number, CBORType][];
  if (curve) {
    entries = [
      [1, 2],
      [3, alg],
      [-1, curve.crv],
      [-2, bytes(jwk.x)],
      [-3, bytes(jwk.y)],
    ]; // kty EC2
  } else if (alg === -8) {
    entries = [
      [1, 1],
      [3, alg],
      [-1, 6],
      [-2, bytes(jwk.x)],
    ]; // kty OKP, crv Ed25519
  } else {
    entries = [
      [1, 3],
      [3, alg],
      [-1, bytes(jwk.n)],
      [-2, bytes(jwk.e)],
    ]; // kty RSA
  }
  return encodeCBOR(new Map<number, CBORType>(entries));
}

export function generateKeys(alg: SoftAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  const curve = EC_CURVE[alg];
  if (curve) return generateKeyPairSync('ec', { namedCurve: curve.namedCurve });
  if (alg === -8) return generateKeyPairSync('ed25519');
  return generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
}

/** SHA-256(clientDataJSON), with one bit flipped when `corrupt`. */
function clientDataHashOf(clientDataJSON: Buffer, corrupt: boolean): Buffer {
  const clientDataHash = sha256(clientDataJSON);
  if (corrupt) clientDataHash.writeUInt8(clientDataHash.readUInt8(0) ^ 0x01, 0);
  return clientDataHash;
}

/** An attestation key's COSE algorithm and signer: ES256 for P-256, ES384 for P-384 (DER-encoded ECDSA signatures). */
function attestationSigner(privateKey: KeyObject): { alg: number; sign: (data: Buffer) => Uint8Array } {
  const curve = privateKey.asymmetricKeyDetails?.namedCurve;
  const [alg, hash] = curve === 'secp384r1' ? [-35, 'sha384'] : [-7, 'sha256'];
  return { alg, sign: (data) => new Uint8Array(sign(hash, data, { key: privateKey, dsaEncoding: 'der' })) };
}

/** Signs authenticatorData || SHA-256(clientDataJSON), as both assertions and packed self-attestation do. */
function signAssertion(credential: SoftCredential, authData: Buffer, clientDataJSON: Buffer, corrupt: boolean): Uint8Array {
  return signWith(credential.alg, credential.privateKey, Buffer.concat([authData, clientDataHashOf(clientDataJSON, corrupt)]));
}

/** A WebAuthn signature by `alg` (§6.5.5: ECDSA as ASN.1 DER; RSA PKCS#1 v1.5 or PSS with a hash-length salt). */
export function signWith(alg: SoftAlgorithm, key: KeyObject, data: Uint8Array): Uint8Array {
  if (alg === -8) return new Uint8Array(sign(null, data, key));
  const hash = HASH[alg]!;
  if (EC_CURVE[alg]) return new Uint8Array(sign(hash, data, { key, dsaEncoding: 'der' }));
  if (PSS.has(alg)) return new Uint8Array(sign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }));
  return new Uint8Array(sign(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }));
}

/** The member order browsers use (the spec's "limited verification" serialisation). */
function encodeClientData(type: string, challenge: string, ctx: ClientContext, defects: CommonDefects): Buffer {
  const clientData: Record<string, unknown> = {
    type: defects.type ?? type,
    challenge: defects.challenge ?? challenge,
    origin: defects.origin ?? ctx.origin,
    crossOrigin: ctx.crossOrigin ?? false,
  };
  if (ctx.topOrigin !== undefined) clientData.topOrigin = ctx.topOrigin;
  if (defects.tokenBinding !== undefined) clientData.tokenBinding = defects.tokenBinding;
  return Buffer.from(JSON.stringify(clientData), 'utf8');
}

/** What a browser enforces before talking to the authenticator (without the public-suffix check). */
function assertRpIdFitsOrigin(rpId: string, origin: string): void {
  const host = new URL(origin).hostname;
  if (host !== rpId && !host.endsWith(`.${rpId}`)) {
    throw webAuthnError('SecurityError', `RP ID ${rpId} is not a registrable suffix of origin ${origin}`);
  }
}

function parseAaguid(aaguid: Uint8Array | string | undefined): Uint8Array {
  if (aaguid === undefined) return new Uint8Array(16);
  const bytes = typeof aaguid === 'string' ? Buffer.from(aaguid.replaceAll('-', ''), 'hex') : aaguid;
  if (bytes.length !== 16) throw new RangeError('aaguid must be 16 bytes');
  return new Uint8Array(bytes);
}

function webAuthnError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

function b64url(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64url');
}
