import type { Config } from './config/config.ts';
import { AuditService } from './audit/audit-service.ts';
import { IdentityService } from './identity/identity-service.ts';
import type { Clock } from './shared/clock.ts';
import type { Database } from './storage/database.ts';
import { TenancyService } from './tenancy/tenancy-service.ts';

/** Every domain service, built once per process from explicit dependencies (no singletons). */
export interface Services {
  tenancy: TenancyService;
  identity: IdentityService;
  audit: AuditService;
}

export interface ServiceDeps {
  config: Config;
  database: Database;
  clock: Clock;
}

export function createServices({ config, database, clock }: ServiceDeps): Services {
  const db = database.db;
  return {
    tenancy: new TenancyService({ db, clock, accessTokenTtlSeconds: config.accessTokenTtlSeconds }),
    identity: new IdentityService({ db, clock }),
    audit: new AuditService({ db }),
  };
}
