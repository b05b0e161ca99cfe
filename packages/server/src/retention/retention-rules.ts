// What Keyway deletes by itself, and when: rows whose expiry passed, kept a while where a late request should still
// get a precise answer. The retention sweeper applies these rules on one node at a time. Rows with a history worth
// keeping (users, passkeys, recovery links, invitations) are not here; audit events only when the operator bounds
// their age (retentionRules, KEYWAY_AUDIT_RETENTION_DAYS).
import { OUTBOX_RETENTION_MS } from '../email/email-outbox.ts';
import { RATE_LIMIT_WINDOW_MS } from '../http/rate-limiter.ts';
import type { RetentionRule } from './expired-rows.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export const RETENTION_RULES: readonly RetentionRule[] = [
  // A day past expiry, so that a late completion still says CHALLENGE_EXPIRED or SESSION_ALREADY_USED, not "unknown".
  { table: 'ceremony_sessions', key: ['id'], expiry: 'expires_at', keepMs: DAY_MS },
  // Self-service flows and browser sessions: a day past expiry (a late finish or sign-out is told why it failed).
  { table: 'selfservice_flows', key: ['id'], expiry: 'expires_at', keepMs: DAY_MS },
  { table: 'selfservice_sessions', key: ['id'], expiry: 'expires_at', keepMs: DAY_MS },
  // A sign-up challenge's record of use is needed only while the challenge itself is valid.
  { table: 'selfservice_used_challenges', key: ['tenant_id', 'challenge'], expiry: 'expires_at', keepMs: 0 },
  // Fixed windows: the current and the previous one are read; older ones are spent.
  { table: 'selfservice_rate_limits', key: ['key'], expiry: 'window_start', keepMs: 2 * RATE_LIMIT_WINDOW_MS },
  // Journeys: an instance a day past its expiry (a late answer is told the session expired); page grants likewise.
  { table: 'journey_instances', key: ['id'], expiry: 'expires_at', keepMs: DAY_MS },
  { table: 'journey_page_grants', key: ['id'], expiry: 'expires_at', keepMs: DAY_MS },
  // The OIDC provider's sessions, interactions, codes and grants (rows without an expiry are kept).
  { table: 'oidc_state', key: ['tenant_id', 'model', 'id'], expiry: 'expires_at', keepMs: DAY_MS },
  // API access tokens refuse once expired; their rows serve nothing after that.
  { table: 'access_tokens', key: ['token_hash'], expiry: 'expires_at', keepMs: 0 },
  // E-mail verification links, used or not, a day past expiry (a late click is told the link was used or expired):
  // each keeps the address it was sent to, which must not outlive the link (migration 041 indexes expires_at).
  { table: 'email_verifications', key: ['id'], expiry: 'expires_at', keepMs: DAY_MS },
  // E-mails delivered or given up, kept for support questions (sent when, to whom); their bodies were emptied then.
  { table: 'email_outbox', key: ['id'], expiry: 'sent_at', keepMs: OUTBOX_RETENTION_MS },
  { table: 'email_outbox', key: ['id'], expiry: 'failed_at', keepMs: OUTBOX_RETENTION_MS },
];

/**
 * The rules a node's sweeper applies: RETENTION_RULES, and audit events once they are `auditRetentionDays` old (by
 * `created_at`, indexed by migration 042) when that is not 0 (0: kept for ever, the default). Audit events hold personal
 * data (client IPs, external ids) and anonymous ceremony starts write them, so an operator may bound their age. Their
 * deletion is not itself audited, row by row (that would never end): the sweeper's report counts them.
 */
export function retentionRules({ auditRetentionDays }: { auditRetentionDays: number }): readonly RetentionRule[] {
  if (auditRetentionDays === 0) return RETENTION_RULES;
  return [...RETENTION_RULES, { table: 'audit_events', key: ['id'], expiry: 'created_at', keepMs: auditRetentionDays * DAY_MS }];
}
