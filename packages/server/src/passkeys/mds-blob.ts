import { readFile } from 'node:fs/promises';
import { compactVerify, decodeProtectedHeader, importX509 } from 'jose';
import { normalizeAaguid } from './authenticator-catalog.ts';
import type { X509Certificate } from './certificate-chain.ts';

/**
 * FIDO Metadata Service (MDS3) BLOB: a JWS whose `x5c` header chains to the FIDO Alliance's
 * signing root, carrying one entry per authenticator model with its attestation root certificates
 * and status reports (https://fidoalliance.org/specs/mds/fido-metadata-service-v3.0-ps-20210518.html §3.1.8).
 *
 * A BLOB is used only after: its certificate chain validates against `trustedRoots` at `now`
 * (@peculiar/x509, see certificate-chain.ts), its signature verifies with the leaf's key (`jose`,
 * RS/PS/ES algorithms only), its payload has the MDS3 shape, and it is not past `nextUpdate`.
 * Not done: CRL checks on the BLOB's signing chain (the MDS spec asks for them; Keyway runs
 * offline-capable and leaves revocation to the BLOB's own freshness window).
 */

/**
 * GlobalSign Root CA - R3: the root FIDO's MDS3 BLOB signing certificate chains to today
 * (https://valid.r3.roots.globalsign.com/, valid until 2029-03-18).
 * SHA-256 CB:B5:22:D7:B7:F1:27:AD:6A:01:13:86:5B:DF:1C:D4:10:2E:7D:07:59:AF:63:5A:7C:F4:72:0D:C9:63:C5:3B
 */
export const GLOBALSIGN_ROOT_CA_R3 = `-----BEGIN CERTIFICATE-----
MIIDXzCCAkegAwIBAgILBAAAAAABIVhTCKIwDQYJKoZIhvcNAQELBQAwTDEgMB4G
A1UECxMXR2xvYmFsU2lnbiBSb290IENBIC0gUjMxEzARBgNVBAoTCkdsb2JhbFNp
Z24xEzARBgNVBAMTCkdsb2JhbFNpZ24wHhcNMDkwMzE4MTAwMDAwWhcNMjkwMzE4
MTAwMDAwWjBMMSAwHgYDVQQLExdHbG9iYWxTaWduIFJvb3QgQ0EgLSBSMzETMBEG
A1UEChMKR2xvYmFsU2lnbjETMBEGA1UEAxMKR2xvYmFsU2lnbjCCASIwDQYJKoZI
hvcNAQEBBQADggEPADCCAQoCggEBAMwldpB5BngiFvXAg7aEyiie/QV2EcWtiHL8
RgJDx7KKnQRfJMsuS+FggkbhUqsMgUdwbN1k0ev1LKMPgj0MK66X17YUhhB5uzsT
gHeMCOFJ0mpiLx9e+pZo34knlTifBtc+ycsmWQ1z3rDI6SYOgxXG71uL0gRgykmm
KPZpO/bLyCiR5Z2KYVc3rHQU3HTgOu5yLy6c+9C7v/U9AOEGM+iCK65TpjoWc4zd
QQ4gOsC0p6Hpsk+QLjJg6VfLuQSSaGjlOCZgdbKfd/+RFO+uIEn8rUAVSNECMWEZ
XriX7613t2Saer9fwRPvm2L7DWzgVGkWqQPabumDk3F2xmmFghcCAwEAAaNCMEAw
DgYDVR0PAQH/BAQDAgEGMA8GA1UdEwEB/wQFMAMBAf8wHQYDVR0OBBYEFI/wS3+o
LkUkrk1Q+mOai97i3Ru8MA0GCSqGSIb3DQEBCwUAA4IBAQBLQNvAUKr+yAzv95ZU
RUm7lgAJQayzE4aGKAczymvmdLm6AC2upArT9fHxD4q/c2dKg8dEe3jgr25sbwMp
jjM5RcOO5LlXbKr8EpbsU8Yt5CRsuZRj+9xTaGdWPoO4zzUhw8lo/s7awlOqzJCK
6fBdRoyV3XpYKBovHd7NADdBj+1EbddTKJd+82cEHhXXipa0095MJ6RMG3NzdvQX
mcIfeg7jLQitChws/zyrVQ4PkX4268NXSb7hLi18YIvDQVETI53O9zJrlAGomecs
Mx86OyXShkDOOyyGeMlhLxS67ttVb9+E7gUJTb0o2HLO02JQZR7rkpeDMdmztcpH
WD9f
-----END CERTIFICATE-----
`;

/**
 * GlobalSign Root R46: GlobalSign's successor root, trusted as well so a FIDO re-issuance under it
 * keeps working (https://valid.r46.roots.globalsign.com/, valid until 2046-03-20).
 * SHA-256 4F:A3:12:6D:8D:3A:11:D1:C4:85:5A:4F:80:7C:BA:D6:CF:91:9D:3A:5A:88:B0:3B:EA:2C:63:72:D9:3C:40:C9
 */
export const GLOBALSIGN_ROOT_R46 = `-----BEGIN CERTIFICATE-----
MIIFWjCCA0KgAwIBAgISEdK7udcjGJ5AXwqdLdDfJWfRMA0GCSqGSIb3DQEBDAUA
MEYxCzAJBgNVBAYTAkJFMRkwFwYDVQQKExBHbG9iYWxTaWduIG52LXNhMRwwGgYD
VQQDExNHbG9iYWxTaWduIFJvb3QgUjQ2MB4XDTE5MDMyMDAwMDAwMFoXDTQ2MDMy
MDAwMDAwMFowRjELMAkGA1UEBhMCQkUxGTAXBgNVBAoTEEdsb2JhbFNpZ24gbnYt
c2ExHDAaBgNVBAMTE0dsb2JhbFNpZ24gUm9vdCBSNDYwggIiMA0GCSqGSIb3DQEB
AQUAA4ICDwAwggIKAoICAQCsrHQy6LNl5brtQyYdpokNRbopiLKkHWPd08EsCVeJ
OaFV6Wc0dwxu5FUdUiXSE2te4R2pt32JMl8Nnp8semNgQB+msLZ4j5lUlghYruQG
vGIFAha/r6gjA7aUD7xubMLL1aa7DOn2wQL7Id5m3RerdELv8HQvJfTqa1VbkNud
316HCkD7rRlr+/fKYIje2sGP1q7Vf9Q8g+7XFkyDRTNrJ9CG0Bwta/OrffGFqfUo
0q3v84RLHIf8E6M6cqJaESvWJ3En7YEtbWaBkoe0G1h6zD8K+kZPTXhc+CtI4wSE
y132tGqzZfxCnlEmIyDLPRT5ge1lFgBPGmSXZgjPjHvjK8Cd+RTyG/FWaha/LIWF
zXg4mutCagI0GIMXTpRW+LaCtfOW3T3zvn8gdz57GSNrLNRyc0NXfeD412lPFzYE
+cCQYDdF3uYM2HSNrpyibXRdQr4G9dlkbgIQrImwTDsHTUB+JMWKmIJ5jqSngiCN
I/onccnfxkF0oE32kRbcRoxfKWMxWXEM2G/CtjJ9++ZdU6Z+Ffy7dXxd7Pj2Fxzs
x2sZy/N78CsHpdlseVR2bJ0cpm4O6XkMqCNqo98bMDGfsVR7/mrLZqrcZdCinkqa
ByFrgY/bxFn63iLABJzjqls2k+g9vXqhnQt2sQvHnf3PmKgGwvgqo6GDoLclcqUC
4wIDAQABo0IwQDAOBgNVHQ8BAf8EBAMCAYYwDwYDVR0TAQH/BAUwAwEB/zAdBgNV
HQ4EFgQUA1yrc4GHqMywptWU4jaWSf8FmSwwDQYJKoZIhvcNAQEMBQADggIBAHx4
7PYCLLtbfpIrXTncvtgdokIzTfnvpCo7RGkerNlFo048p9gkUbJUHJNOxO97k4Vg
JuoJSOD1u8fpaNK7ajFxzHmuEajwmf3lH7wvqMxX63bEIaZHU1VNaL8FpO7XJqti
2kM3S+LGteWygxk6x9PbTZ4IevPuzz5i+6zoYMzRx6Fcg0XERczzF2sUyQQCPtIk
pnnpHs6i58FZFZ8d4kuaPp92CC1r2LpXFNqD6v6MVenQTqnMdzGxRBF6XLE+0xRF
FRhiJBPSy03OXIPBNvIQtQ6IbbjhVp+J3pZmOUdkLG5NrmJ7v2B0GbhWrJKsFjLt
rWhV/pi60zTe9Mlhww6G9kuEYO4Ne7UyWHmRVSyBQ7N0H3qqJZ4d16GLuc1CLgSk
ZoNNiTW2bKg2SnkheCLQQrzRQDGQob4Ez8pn7fXwgNNgyYMqIgXQBztSvwyeqiv5
u+YfjyW6hY0XHgL+XVAEV8/+LbzvXMAaq7afJMbfc2hIkCwU9D9SGuTSyxTDYWnP
4vkYxboznxSjBF25cfe1lNj2M8FawTSLfJvdkzrnE6JwYZ+vj+vYxXX4M2bUdGc6
N3ec592kD3ZDZopD8p/7DEJ4Y9HiD2971KE9dJeFt0g5QdYg/NA6s/rob8SKunE3
vouXsXgxT7PntgMTzlSdriVZzH81Xwj3QEUxeCp6
-----END CERTIFICATE-----
`;

/** The roots a FIDO MDS3 BLOB must chain to unless the deployment passes its own. */
export const FIDO_MDS_ROOT_CERTIFICATES: readonly string[] = [GLOBALSIGN_ROOT_CA_R3, GLOBALSIGN_ROOT_R46];

/** The official BLOB endpoint, for `metadata.url`. */
export const FIDO_MDS3_URL = 'https://mds3.fidoalliance.org/';

const BLOB_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
const DAY_MS = 24 * 60 * 60 * 1000;

export interface MetadataStatusReport {
  status: string;
  effectiveDate?: string;
  /** base64 DER of the attestation certificate a compromise report is about, if it names one */
  certificate?: string;
}

export interface MetadataEntry {
  aaguid?: string;
  attestationCertificateKeyIdentifiers?: string[];
  description?: string;
  /** The model's icon as the metadata statement gives it (a data:image/… URI), for display only */
  icon?: string;
  /** base64 DER root certificates for this model's attestation */
  attestationRootCertificates: string[];
  attestationTypes: string[];
  statusReports: MetadataStatusReport[];
  timeOfLastStatusChange?: string;
}

export class MetadataBlob {
  /** The BLOB's serial number; it only ever grows. */
  readonly no: number;
  /** The day by which FIDO publishes the next BLOB; this one is used until the end of that day (UTC). */
  readonly nextUpdate: Date;
  readonly entries: readonly MetadataEntry[];
  readonly #byAaguid = new Map<string, MetadataEntry>();
  readonly #byKeyIdentifier = new Map<string, MetadataEntry>();

  constructor(no: number, nextUpdate: Date, entries: MetadataEntry[]) {
    this.no = no;
    this.nextUpdate = nextUpdate;
    this.entries = entries;
    for (const entry of entries) {
      if (entry.aaguid) this.#byAaguid.set(entry.aaguid, entry);
      for (const id of entry.attestationCertificateKeyIdentifiers ?? []) this.#byKeyIdentifier.set(id, entry);
    }
  }

  byAaguid(aaguid: string): MetadataEntry | undefined {
    const normalized = normalizeAaguid(aaguid);
    return normalized === undefined ? undefined : this.#byAaguid.get(normalized);
  }

  /** U2F authenticators (zero AAGUID) are listed by the key identifiers of their attestation certificates. */
  byKeyIdentifier(hex: string): MetadataEntry | undefined {
    return this.#byKeyIdentifier.get(hex.toLowerCase());
  }

  /** Whether `now` is past the end of the `nextUpdate` day: the BLOB must not be used any more. */
  isExpired(now: Date): boolean {
    return now.getTime() >= this.nextUpdate.getTime() + DAY_MS;
  }
}

export class MetadataBlobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MetadataBlobError';
  }
}

const isString = (value: unknown): value is string => typeof value === 'string';
const stringArray = (value: unknown): string[] => (Array.isArray(value) ? value.filter(isString) : []);

function toEntry(raw: unknown): MetadataEntry | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const entry = raw as Record<string, unknown>;
  const statement = (typeof entry.metadataStatement === 'object' && entry.metadataStatement !== null ? entry.metadataStatement : {}) as Record<string, unknown>;
  const aaguid = isString(entry.aaguid) ? normalizeAaguid(entry.aaguid) : undefined;
  const keyIds = stringArray(entry.attestationCertificateKeyIdentifiers).map((id) => id.toLowerCase());
  if (!aaguid && keyIds.length === 0) return undefined; // UAF (aaid) entries do not apply to WebAuthn
  const reports = Array.isArray(entry.statusReports) ? entry.statusReports : [];
  return {
    ...(aaguid ? { aaguid } : {}),
    ...(keyIds.length > 0 ? { attestationCertificateKeyIdentifiers: keyIds } : {}),
    ...(isString(statement.description) ? { description: statement.description } : {}),
    ...(isString(statement.icon) && statement.icon.startsWith('data:image/') ? { icon: statement.icon } : {}),
    attestationRootCertificates: stringArray(statement.attestationRootCertificates),
    attestationTypes: stringArray(statement.attestationTypes),
    statusReports: reports
      .filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && isString((r as Record<string, unknown>).status))
      .map((r) => ({
        status: r.status as string,
        ...(isString(r.effectiveDate) ? { effectiveDate: r.effectiveDate } : {}),
        ...(isString(r.certificate) ? { certificate: r.certificate } : {}),
      })),
    ...(isString(entry.timeOfLastStatusChange) ? { timeOfLastStatusChange: entry.timeOfLastStatusChange } : {}),
  };
}

/** Verifies a BLOB (compact JWS) and returns its entries; throws `MetadataBlobError` saying why it is refused. */
export async function verifyMetadataBlob(jws: string, options: { trustedRoots?: readonly string[]; now: Date }): Promise<MetadataBlob> {
  const text = jws.trim();
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(text);
  } catch (error) {
    throw new MetadataBlobError('the metadata BLOB is not a JWS', { cause: error });
  }
  if (!isString(header.alg) || !BLOB_ALGORITHMS.includes(header.alg))
    throw new MetadataBlobError(`the metadata BLOB uses an unsupported algorithm ${String(header.alg)}`);
  if (!Array.isArray(header.x5c) || header.x5c.length === 0) throw new MetadataBlobError('the metadata BLOB has no x5c certificate chain');

  // Loaded here, not at start: the X.509 stack is heavy and only a metadata refresh needs it.
  const { describeCertificate, parseCertificate, validateCertificateChain } = await import('./certificate-chain.ts');
  let chain: X509Certificate[];
  let anchors: X509Certificate[];
  try {
    chain = header.x5c.map((der) => parseCertificate(der));
    anchors = (options.trustedRoots ?? FIDO_MDS_ROOT_CERTIFICATES).map((pem) => parseCertificate(pem));
  } catch (error) {
    throw new MetadataBlobError('the metadata BLOB or its trusted roots contain an unreadable certificate', { cause: error });
  }
  const validated = await validateCertificateChain(chain, anchors, options.now);
  if (!validated.ok) throw new MetadataBlobError(`the metadata BLOB signing chain is not trusted: ${validated.reason}`);

  let payload: Record<string, unknown>;
  try {
    const key = await importX509(chain[0]!.toString('pem'), header.alg);
    const verified = await compactVerify(text, key, { algorithms: [header.alg] });
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
  } catch (error) {
    throw new MetadataBlobError(`the metadata BLOB signature does not verify with ${describeCertificate(chain[0]!)}`, { cause: error });
  }
  if (typeof payload !== 'object' || payload === null) throw new MetadataBlobError('the metadata BLOB payload is not an object');
  const no = payload.no;
  const nextUpdate = payload.nextUpdate;
  if (typeof no !== 'number' || !Number.isSafeInteger(no) || no < 0) throw new MetadataBlobError('the metadata BLOB has no serial number (no)');
  if (!isString(nextUpdate) || !/^\d{4}-\d{2}-\d{2}$/.test(nextUpdate) || Number.isNaN(Date.parse(`${nextUpdate}T00:00:00Z`))) {
    throw new MetadataBlobError('the metadata BLOB has no valid nextUpdate date');
  }
  if (!Array.isArray(payload.entries)) throw new MetadataBlobError('the metadata BLOB has no entries');
  const blob = new MetadataBlob(
    no,
    new Date(`${nextUpdate}T00:00:00Z`),
    payload.entries.map(toEntry).filter((e) => e !== undefined),
  );
  if (blob.isExpired(options.now)) throw new MetadataBlobError(`the metadata BLOB is out of date (nextUpdate ${nextUpdate})`);
  return blob;
}

export interface MetadataSource {
  /** A local file holding the BLOB (as downloaded from FIDO_MDS3_URL) */
  file?: string;
  /** An https URL serving the BLOB (http only for localhost) */
  url?: string;
}

/** What `assessAttestation` needs: the current verified BLOB of a source. */
export interface MetadataProvider {
  get(source: MetadataSource, now: Date): Promise<MetadataBlob>;
}

export interface MetadataBlobCacheOptions {
  /** Roots the BLOB must chain to; FIDO_MDS_ROOT_CERTIFICATES by default */
  trustedRoots?: readonly string[];
  /** Re-read a source at least this often even before nextUpdate (files may be replaced); 24 h */
  refreshMs?: number;
  /** After a failed load, wait this long before trying the source again; 60 s */
  retryMs?: number;
  /** Largest BLOB accepted; 64 MiB (the real one is a few MiB) */
  maxBytes?: number;
  /** Download timeout; 30 s */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
  readFile?: (path: string) => Promise<string>;
}

interface CacheSlot {
  blob?: MetadataBlob;
  /** when the current blob should be reloaded (epoch ms) */
  refreshAt: number;
  loading?: Promise<MetadataBlob>;
  failure?: { error: MetadataBlobError; until: number };
}

/**
 * Verified BLOBs per source, shared by every policy that names the same file or URL. A source is
 * loaded on first use and reloaded after `refreshMs` or once `nextUpdate` is reached; concurrent
 * callers share one load. If a reload fails, or returns a BLOB with a lower serial number than
 * the one held (a rollback), the held BLOB stays in use until it expires. Times come from the
 * `now` each caller passes, never from the global clock.
 */
export class MetadataBlobCache implements MetadataProvider {
  readonly #slots = new Map<string, CacheSlot>();
  readonly #trustedRoots: readonly string[];
  readonly #refreshMs: number;
  readonly #retryMs: number;
  readonly #maxBytes: number;
  readonly #timeoutMs: number;
  readonly #fetch: typeof globalThis.fetch;
  readonly #readFile: (path: string) => Promise<string>;

  constructor(options: MetadataBlobCacheOptions = {}) {
    this.#trustedRoots = options.trustedRoots ?? FIDO_MDS_ROOT_CERTIFICATES;
    this.#refreshMs = options.refreshMs ?? DAY_MS;
    this.#retryMs = options.retryMs ?? 60_000;
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#readFile = options.readFile ?? ((path) => readFile(path, 'utf8'));
  }

  /** The BLOB of `source.url`, falling back to `source.file` when the URL cannot be used. */
  async get(source: MetadataSource, now: Date): Promise<MetadataBlob> {
    const keys = [...(source.url ? [`url:${source.url}`] : []), ...(source.file ? [`file:${source.file}`] : [])];
    if (keys.length === 0) throw new MetadataBlobError('the metadata source names neither a file nor a URL');
    let lastError: unknown;
    for (const key of keys) {
      try {
        return await this.#get(key, now);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  /** Forgets every cached BLOB (for administrators replacing a file, and tests). */
  clear(): void {
    this.#slots.clear();
  }

  async #get(key: string, now: Date): Promise<MetadataBlob> {
    const slot = this.#slots.get(key) ?? { refreshAt: 0 };
    this.#slots.set(key, slot);
    const held = slot.blob && !slot.blob.isExpired(now) ? slot.blob : undefined;
    if (held && now.getTime() < slot.refreshAt) return held;
    if (slot.failure && now.getTime() < slot.failure.until) {
      if (held) return held;
      throw slot.failure.error;
    }
    slot.loading ??= this.#load(key, now).finally(() => {
      slot.loading = undefined;
    });
    try {
      const fresh = await slot.loading;
      if (held && fresh.no < held.no)
        throw new MetadataBlobError(
          `the metadata BLOB from ${key.slice(key.indexOf(':') + 1)} has serial number ${fresh.no}, lower than ${held.no} already seen`,
        );
      slot.blob = fresh;
      slot.failure = undefined;
      slot.refreshAt = Math.min(now.getTime() + this.#refreshMs, fresh.nextUpdate.getTime());
      return fresh;
    } catch (error) {
      const failure =
        error instanceof MetadataBlobError
          ? error
          : new MetadataBlobError(`the metadata BLOB could not be loaded: ${(error as Error).message}`, { cause: error });
      slot.failure = { error: failure, until: now.getTime() + this.#retryMs };
      if (held) return held;
      throw failure;
    }
  }

  async #load(key: string, now: Date): Promise<MetadataBlob> {
    const location = key.slice(key.indexOf(':') + 1);
    const text = key.startsWith('url:') ? await this.#download(location) : await this.#readFile(location);
    if (text.length > this.#maxBytes) throw new MetadataBlobError(`the metadata BLOB at ${location} is larger than ${this.#maxBytes} bytes`);
    return verifyMetadataBlob(text, { trustedRoots: this.#trustedRoots, now });
  }

  async #download(location: string): Promise<string> {
    const url = new URL(location);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new MetadataBlobError(`the metadata URL must be https: ${location}`);
    const response = await this.#fetch(url, { signal: AbortSignal.timeout(this.#timeoutMs), headers: { accept: 'application/jwt, text/plain, */*' } });
    if (!response.ok) throw new MetadataBlobError(`the metadata URL answered ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > this.#maxBytes) throw new MetadataBlobError(`the metadata BLOB at ${location} is larger than ${this.#maxBytes} bytes`);
    return response.text();
  }
}
