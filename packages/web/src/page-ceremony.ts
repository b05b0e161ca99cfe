// Which WebAuthn request the custom page bridge runs for a page. The page is operator-authored HTML, and the runner
// runs ceremonies on its own origin: the relying party of everything else Keyway serves there (the console's
// sign-in, the hosted pages). A page's options are therefore never run. The bridge runs only a request the server
// sent with the step (`ceremonies`: what Start Passkey Registration / Authentication of the journey started), and the
// page's options only say which one: its challenge must be that request's (WebAuthn §13.4.3: the challenge binds the
// response to the ceremony the relying party started), and its RP ID and user handle, when given, must agree.
import { KeywayWebError } from './errors.ts';

/** A passkey ceremony the server sent with a custom page step: the page may ask for this one. */
export type PageCeremony =
  | { kind: 'registration'; key: string; clientRequest: PublicKeyCredentialCreationOptionsJSON }
  | { kind: 'authentication'; key: string; clientRequest: PublicKeyCredentialRequestOptionsJSON };

/** The page asked for a WebAuthn request that is not one the server sent for its step: nothing was run. */
export class KeywayPageCeremonyRefusedError extends KeywayWebError {
  static override readonly code = 'ERR_PAGE_CEREMONY_REFUSED';
  constructor(message: string) {
    super('ERR_PAGE_CEREMONY_REFUSED', message);
  }
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** The step's `ceremonies` as the server sent them; malformed entries are dropped (they can only be refused then). */
export function pageCeremonies(value: unknown): PageCeremony[] {
  if (!Array.isArray(value)) return [];
  const found: PageCeremony[] = [];
  for (const item of value) {
    const entry = record(item);
    const request = record(entry?.clientRequest);
    if (!entry || !request || typeof entry.key !== 'string' || typeof request.challenge !== 'string' || request.challenge === '') continue;
    if (entry.kind === 'registration' && typeof record(request.user)?.id === 'string')
      found.push({ kind: 'registration', key: entry.key, clientRequest: request as unknown as PublicKeyCredentialCreationOptionsJSON });
    else if (entry.kind === 'authentication')
      found.push({ kind: 'authentication', key: entry.key, clientRequest: request as unknown as PublicKeyCredentialRequestOptionsJSON });
  }
  return found;
}

const NAMES = { create: ['registration', 'createCredential'], get: ['authentication', 'getCredential'] } as const;

/**
 * The request the bridge runs for a page's `createCredential(asked)` (`create`) or `getCredential(asked)` (`get`):
 * the step's ceremony of that kind whose challenge `asked` names, or, when the page gives no options, the step's
 * only one. The server's request is what runs, never `asked` (whose other members — allowCredentials, extensions,
 * a mediation — are ignored). Throws KeywayPageCeremonyRefusedError otherwise.
 */
export function pageCeremonyRequest(
  ceremonies: readonly PageCeremony[],
  kind: 'create' | 'get',
  asked: unknown,
): PublicKeyCredentialCreationOptionsJSON | PublicKeyCredentialRequestOptionsJSON {
  const [wanted, method] = NAMES[kind];
  const candidates = ceremonies.filter((c) => c.kind === wanted);
  if (asked === undefined || asked === null) {
    if (candidates.length === 1) return candidates[0]!.clientRequest;
    throw new KeywayPageCeremonyRefusedError(
      candidates.length === 0
        ? `${method}: the journey started no passkey ${wanted} for this page`
        : `${method}: the journey started ${candidates.length} passkey ${wanted}s; pass the options of the one to run`,
    );
  }
  const options = record(asked);
  if (!options || typeof options.challenge !== 'string')
    throw new KeywayPageCeremonyRefusedError(`${method}: the options must be the JSON of a request the journey started (challenge as base64url)`);
  const match = candidates.find((c) => c.clientRequest.challenge === options.challenge);
  if (!match) throw new KeywayPageCeremonyRefusedError(`${method}: the challenge is not that of a passkey ${wanted} the journey started for this page`);
  // The challenge picks the request; these must not say otherwise (a page that means another RP or user is refused).
  if (match.kind === 'registration') {
    const rpId = record(options.rp)?.id;
    if (rpId !== undefined && rpId !== match.clientRequest.rp.id)
      throw new KeywayPageCeremonyRefusedError(`${method}: rp.id differs from the journey's request`);
    const userId = record(options.user)?.id;
    if (userId !== undefined && userId !== match.clientRequest.user.id)
      throw new KeywayPageCeremonyRefusedError(`${method}: user.id differs from the journey's request`);
  } else if (options.rpId !== undefined && options.rpId !== match.clientRequest.rpId) {
    throw new KeywayPageCeremonyRefusedError(`${method}: rpId differs from the journey's request`);
  }
  return match.clientRequest;
}
