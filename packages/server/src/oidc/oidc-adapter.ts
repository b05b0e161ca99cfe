import type { Kysely } from 'kysely';
import { appendAuditEvent } from '../audit/audit-log.ts';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Clock } from '../shared/clock.ts';
import type { Schema } from '../storage/schema.ts';
import { auditRemoved } from './oidc-revocation.ts';

/**
 * The OpenID Provider's storage (oidc-provider's Adapter contract) over Keyway's database, one instance per tenant
 * and model: every query is scoped by tenant, so one tenant's provider can never read or revoke another's
 * artifacts. Clients are not stored here: they come from the admin API's table (`findClient`).
 *
 * Every token issued (saved) or revoked (destroyed, or its grant revoked) is audited in the transaction that makes
 * the change; the actor is the client it was issued to.
 */
export interface OidcAdapterDeps {
  db: Kysely<Schema>;
  clock: Clock;
  tenantId: string;
  /** The metadata of one of the tenant's clients, as oidc-provider expects it */
  findClient: (clientId: string) => Promise<AdapterPayload | undefined>;
}

export function oidcAdapterFactory(deps: OidcAdapterDeps): (model: string) => Adapter {
  return (model) => (model === 'Client' ? new ClientAdapter(deps) : new KyselyAdapter(deps, model));
}

class ClientAdapter implements Adapter {
  readonly #deps: OidcAdapterDeps;
  constructor(deps: OidcAdapterDeps) {
    this.#deps = deps;
  }
  find(id: string): Promise<AdapterPayload | undefined> {
    return this.#deps.findClient(id);
  }
  // Clients change only through the admin API; the provider never writes them.
  async upsert(): Promise<void> {}
  async findByUserCode(): Promise<undefined> {}
  async findByUid(): Promise<undefined> {}
  async consume(): Promise<void> {}
  async destroy(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
}

/** The artifacts that are tokens: their issue and revocation is audited. */
const AUDITED_TOKENS: Record<string, string | undefined> = {
  AccessToken: 'accessToken',
  RefreshToken: 'refreshToken',
  AuthorizationCode: 'authorizationCode',
};

class KyselyAdapter implements Adapter {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #tenantId: string;
  readonly #model: string;

  constructor(deps: OidcAdapterDeps, model: string) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#tenantId = deps.tenantId;
    this.#model = model;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const now = this.#clock.now().getTime();
    const row = {
      payload: JSON.stringify(payload),
      // A grant is part of its own family: revoking it removes it with its tokens.
      grant_id: this.#model === 'Grant' ? id : typeof payload.grantId === 'string' ? payload.grantId : null,
      client_id: typeof payload.clientId === 'string' ? payload.clientId : null,
      account_id: typeof payload.accountId === 'string' ? payload.accountId : null,
      user_code: typeof payload.userCode === 'string' ? payload.userCode : null,
      uid: typeof payload.uid === 'string' ? payload.uid : null,
      expires_at: expiresIn === undefined ? null : now + expiresIn * 1000,
    };
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('oidc_state')
        // created_at on the first store only: an update (the same id saved again) keeps it.
        .values({ tenant_id: this.#tenantId, model: this.#model, id, consumed_at: null, created_at: now, ...row })
        .onConflict((oc) => oc.columns(['tenant_id', 'model', 'id']).doUpdateSet(row))
        .execute();
      const kind = AUDITED_TOKENS[this.#model];
      if (kind) await this.#audit(trx, `oidc.${kind}.issue`, payload, { grantId: payload.grantId, scope: payload.scope });
    });
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.#findBy('id', id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findBy('uid', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findBy('user_code', userCode);
  }

  /**
   * Marks a code or refresh token used, only if it is not yet: of two requests that redeem the same one at the same
   * moment (both read it unused), exactly one wins here and the other is refused with invalid_grant (RFC 6749 §4.1.2,
   * §10.5: a code is used once; a rotated refresh token likewise), instead of both being issued tokens.
   */
  async consume(id: string): Promise<void> {
    const marked = await this.#db
      .updateTable('oidc_state')
      .set({ consumed_at: this.#clock.now().getTime() })
      .where('tenant_id', '=', this.#tenantId)
      .where('model', '=', this.#model)
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    if (Number(marked.numUpdatedRows) === 0) {
      await this.#revokeReusedGrant(id);
      const { errors } = await import('oidc-provider');
      throw new errors.InvalidGrant(`${this.#model} already consumed`);
    }
  }

  /**
   * The loser of a concurrent redemption is a reuse like any other, so it revokes the grant's whole family — the
   * winner's tokens included — as oidc-provider does when it sees the code or refresh token already consumed
   * (RFC 6749 §4.1.2: tokens issued from a reused code SHOULD be revoked; RFC 9700 §4.14.2 for refresh tokens).
   * Without this, a reuse that raced the first use (both read it unconsumed) left the family alive.
   */
  async #revokeReusedGrant(id: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const reused = await trx
        .selectFrom('oidc_state')
        .select(['grant_id', 'payload'])
        .where('tenant_id', '=', this.#tenantId)
        .where('model', '=', this.#model)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!reused?.grant_id) return;
      const gone = await trx
        .deleteFrom('oidc_state')
        .where('tenant_id', '=', this.#tenantId)
        .where('grant_id', '=', reused.grant_id)
        .returning('model')
        .execute();
      // The grant's artifacts share its client and account: audited as every revocation is (oidc-revocation.ts).
      const payload = JSON.parse(reused.payload) as AdapterPayload;
      const actor = { tenantId: this.#tenantId, actor: `oidc-client:${String(payload.clientId ?? 'unknown')}` };
      const target = { targetType: 'user' as const, targetId: typeof payload.accountId === 'string' ? payload.accountId : null };
      await auditRemoved(trx, actor, gone, target, { grantId: reused.grant_id, reason: 'reused' }, this.#clock.now());
    });
  }

  async destroy(id: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const gone = await trx
        .deleteFrom('oidc_state')
        .where('tenant_id', '=', this.#tenantId)
        .where('model', '=', this.#model)
        .where('id', '=', id)
        .returning('payload')
        .executeTakeFirst();
      const kind = AUDITED_TOKENS[this.#model];
      if (gone && kind && kind !== 'authorizationCode') {
        const payload = JSON.parse(gone.payload) as AdapterPayload;
        await this.#audit(trx, `oidc.${kind}.revoke`, payload, { grantId: payload.grantId });
      }
    });
  }

  /** This model's artifacts of the grant (oidc-provider calls it for each model when a code or refresh token is reused). */
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const gone = await trx
        .deleteFrom('oidc_state')
        .where('tenant_id', '=', this.#tenantId)
        .where('model', '=', this.#model)
        .where('grant_id', '=', grantId)
        .returning('payload')
        .execute();
      const kind = AUDITED_TOKENS[this.#model];
      if (gone.length === 0 || !kind) return;
      await this.#audit(trx, `oidc.${kind}.revoke`, JSON.parse(gone[0]!.payload) as AdapterPayload, { grantId, count: gone.length, reason: 'grantRevoked' });
    });
  }

  async #audit(trx: Kysely<Schema>, action: string, payload: AdapterPayload, details: Record<string, unknown>): Promise<void> {
    const actor = { tenantId: this.#tenantId, actor: `oidc-client:${String(payload.clientId ?? 'unknown')}` };
    await appendAuditEvent(trx, actor, { action, targetType: 'user', targetId: payload.accountId ?? null, details }, this.#clock.now());
  }

  async #findBy(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    const row = await this.#db
      .selectFrom('oidc_state')
      .select(['payload', 'consumed_at'])
      .where('tenant_id', '=', this.#tenantId)
      .where('model', '=', this.#model)
      .where(column, '=', value)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', this.#clock.now().getTime())]))
      .executeTakeFirst();
    if (!row) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    // oidc-provider reads `consumed` as "already used" (seconds since the epoch).
    if (row.consumed_at !== null) payload.consumed = Math.floor(Number(row.consumed_at) / 1000);
    return payload;
  }
}
