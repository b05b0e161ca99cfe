import type { AuditEvent } from './audit-service.ts';

/** The columns of a CSV export, in order. */
const CSV_COLUMNS = ['id', 'time', 'tenant', 'actor', 'action', 'targetType', 'targetId', 'outcome', 'requestId', 'details'] as const;

/**
 * One CSV field (RFC 4180 §2): quoted when it holds a quote, comma or line break, quotes doubled.
 * A field a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading `'`
 * (OWASP "CSV injection"), since audit details carry text that callers chose.
 */
function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export async function* toCsv(events: AsyncIterable<AuditEvent>): AsyncGenerator<string> {
  yield `${CSV_COLUMNS.join(',')}\r\n`;
  for await (const event of events) yield `${CSV_COLUMNS.map((column) => csvField(event[column])).join(',')}\r\n`;
}

/** JSON Lines: one event per line, each a complete JSON object. */
export async function* toJsonLines(events: AsyncIterable<AuditEvent>): AsyncGenerator<string> {
  for await (const event of events) yield `${JSON.stringify(event)}\n`;
}
