import type { Kysely } from 'kysely';
import type { BrowserSessionRow } from '../selfservice/browser-sessions.ts';
import type { Clock } from '../shared/clock.ts';
import type { Schema } from '../storage/schema.ts';
import { browserSessionAmr, liveBrowserSession } from './oidc-browser-session.ts';

export interface OidcLoginServiceDeps {
  db: Kysely<Schema>;
  clock: Clock;
}

/** What the provider's login needs from Keyway: the browser's session in a store, and how its passkey signed in. */
export class OidcLoginService {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;

  constructor(deps: OidcLoginServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  now(): Date {
    return this.#clock.now();
  }

  /** The live self-service session of the browser (its Cookie header) in the store, if any. */
  session(tenantId: string, storeId: string, cookieHeader: string | undefined): Promise<BrowserSessionRow | undefined> {
    return liveBrowserSession(this.#db, this.#clock, tenantId, storeId, cookieHeader);
  }

  /** RFC 8176 `amr` of the session's sign-in, from the facts Keyway verified about the passkey it was opened with. */
  amr(session: Pick<BrowserSessionRow, 'tenant_id' | 'credential_id'>): Promise<string[]> {
    return browserSessionAmr(this.#db, session);
  }
}
