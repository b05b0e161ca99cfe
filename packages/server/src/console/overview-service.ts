import { sql, type Kysely } from 'kysely';
import { describeAuthenticator } from '../passkeys/authenticator-catalog.ts';
import type { AuthenticatorDirectory } from '../passkeys/authenticator-directory.ts';
import type { Clock } from '../shared/clock.ts';
import type { Schema } from '../storage/schema.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The audit actions the overview counts: a completed passkey sign-in and registration (and their refusals). */
const SIGN_IN = 'passkey.authenticate';
const REGISTRATION = 'passkey.register';
const TOP_AUTHENTICATORS = 10;

export interface Overview {
  totals: { users: number; passkeys: number };
  daily: { date: string; signIns: number; registrations: number; failures: number }[];
  failuresByCode: { code: string; count: number }[];
  authenticators: { synced: number; deviceBound: number; top: TopAuthenticator[] };
}

/** One of the most used authenticator models: its provider's name and icons when known (authenticator-directory.ts). */
export interface TopAuthenticator {
  aaguid: string;
  name: string | null;
  iconLight?: string;
  iconDark?: string;
  count: number;
}

/** The smallest time-ordered id of an instant (shared/time-ordered-id.ts), so a time window uses the (tenant_id, id) index. */
function firstIdAt(ms: number): string {
  return ms.toString(16).padStart(12, '0') + '0000';
}

/**
 * The tenant at a glance for the console: its users and passkeys, completed and refused passkey
 * ceremonies per day (UTC) from the audit log, refusals by error code, and the authenticator mix.
 */
export class OverviewService {
  readonly #db: Kysely<Schema>;
  readonly #clock: Clock;
  readonly #authenticators: AuthenticatorDirectory | undefined;

  constructor({ db, clock, authenticators }: { db: Kysely<Schema>; clock: Clock; authenticators?: AuthenticatorDirectory }) {
    this.#db = db;
    this.#clock = clock;
    this.#authenticators = authenticators;
  }

  async overview(tenantId: string, days: number): Promise<Overview> {
    const today = Math.floor(this.#clock.now().getTime() / DAY_MS);
    const firstDay = today - days + 1;
    const fromId = firstIdAt(firstDay * DAY_MS);
    const ceremonies = [SIGN_IN, REGISTRATION];

    const count = async (table: 'users' | 'credentials') =>
      Number(
        (
          await this.#db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('tenant_id', '=', tenantId)
            .executeTakeFirstOrThrow()
        ).n,
      );

    const perDay = await this.#db
      .selectFrom('audit_events')
      .select([sql<string>`created_at / ${sql.lit(DAY_MS)}`.as('day'), 'action', 'outcome', (eb) => eb.fn.countAll<string>().as('n')])
      .where('tenant_id', '=', tenantId)
      .where('id', '>=', fromId)
      .where('action', 'in', ceremonies)
      .groupBy([sql`created_at / ${sql.lit(DAY_MS)}`, 'action', 'outcome'])
      .execute();
    const daily = Array.from({ length: days }, (_, i) => ({
      date: new Date((firstDay + i) * DAY_MS).toISOString().slice(0, 10),
      signIns: 0,
      registrations: 0,
      failures: 0,
    }));
    for (const row of perDay) {
      const entry = daily[Number(row.day) - firstDay];
      if (!entry) continue;
      const n = Number(row.n);
      if (row.outcome === 'failure') entry.failures += n;
      else if (row.action === SIGN_IN) entry.signIns += n;
      else entry.registrations += n;
    }

    // Refusals are few next to successes; their code is in the event's details.
    const refused = await this.#db
      .selectFrom('audit_events')
      .select('details')
      .where('tenant_id', '=', tenantId)
      .where('id', '>=', fromId)
      .where('action', 'in', ceremonies)
      .where('outcome', '=', 'failure')
      .execute();
    const byCode = new Map<string, number>();
    for (const row of refused) {
      const code = row.details === null ? undefined : (JSON.parse(row.details) as { code?: unknown }).code;
      const key = typeof code === 'string' ? code : 'UNKNOWN';
      byCode.set(key, (byCode.get(key) ?? 0) + 1);
    }

    const mix = await this.#db
      .selectFrom('credentials')
      .select(['aaguid', 'backup_eligible', (eb) => eb.fn.countAll<string>().as('n')])
      .where('tenant_id', '=', tenantId)
      .groupBy(['aaguid', 'backup_eligible'])
      .execute();
    let synced = 0;
    let deviceBound = 0;
    const perAaguid = new Map<string, number>();
    for (const row of mix) {
      const n = Number(row.n);
      if (row.backup_eligible === 1) synced += n;
      else deviceBound += n;
      perAaguid.set(row.aaguid, (perAaguid.get(row.aaguid) ?? 0) + n);
    }

    const describe = (await this.#authenticators?.forTenant(tenantId)) ?? describeAuthenticator;
    return {
      totals: { users: await count('users'), passkeys: await count('credentials') },
      daily,
      failuresByCode: [...byCode].map(([code, n]) => ({ code, count: n })).sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
      authenticators: {
        synced,
        deviceBound,
        top: [...perAaguid]
          .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
          .slice(0, TOP_AUTHENTICATORS)
          .map(([aaguid, n]): TopAuthenticator => {
            const known = describe(aaguid);
            return {
              aaguid,
              name: known?.name ?? null,
              ...(known?.iconLight ? { iconLight: known.iconLight } : {}),
              ...(known?.iconDark ? { iconDark: known.iconDark } : {}),
              count: n,
            };
          }),
      },
    };
  }
}
