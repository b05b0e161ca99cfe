// Reading the audit log: filters actor, action, target and a time window (ISO 8601), newest first;
// the export asks the same filters for JSON Lines or CSV and saves the answer as a file.
import { api, ok } from '../../api/client.ts';
import { problemFrom } from '../../api/problem.ts';
import { accessToken } from '../../session/session.ts';

export interface AuditFilters {
  actor?: string;
  action?: string;
  target?: string;
  from?: string;
  to?: string;
}

function query(filters: AuditFilters): Record<string, string> {
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => typeof v === 'string' && v !== '')) as Record<string, string>;
}

export function listAudit(filters: AuditFilters, cursor?: string) {
  // `target` matches the target's id; `from`/`to` bound the time.
  return ok(api.GET('/api/audit', { params: { query: { ...query(filters), ...(cursor ? { cursor } : {}), limit: 50 } } }));
}

export async function exportAudit(filters: AuditFilters, format: 'jsonl' | 'csv'): Promise<void> {
  const url = new URL('/api/audit', window.location.origin);
  for (const [k, v] of Object.entries({ ...query(filters), format })) url.searchParams.set(k, v);
  const token = await accessToken();
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok) throw await problemFrom(response);
  const blob = await response.blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `audit-${new Date().toISOString().slice(0, 10)}.${format}`;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(link.href);
}
