// Where and how logs are written. On a terminal a person reads them: one short line per event.
// Anywhere else (a file, a pipe, a container's log collector) a program does: pino's JSON lines.
import type { FastifyServerOptions } from 'fastify';
import type { Config } from '../config/config.ts';
import { requestSerializer } from './request-log.ts';

export type LogFormat = 'human' | 'json';

/** `auto` is human exactly when stdout is a terminal. */
export function resolveLogFormat(setting: Config['logFormat'], stdoutIsTty: boolean): LogFormat {
  return setting === 'auto' ? (stdoutIsTty ? 'human' : 'json') : setting;
}

// The request serializer (request-log.ts) logs no header but Host; should a line carry headers another way, these go.
const REDACT = { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[redacted]' };

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
// Fields every pino line has, or that the human line already shows.
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'req', 'res', 'responseTime', 'err']);

interface LogEntry {
  level: number;
  time: number;
  msg?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  err?: { message?: string; stack?: string };
  [field: string]: unknown;
}

/**
 * One pino JSON line as one line for a person: `14:02:07 GET /healthz 200 1.4 ms`; undefined for
 * Fastify's "Server listening at …", which the start-up line already says.
 */
export function humanLine(json: string): string | undefined {
  let entry: LogEntry;
  try {
    entry = JSON.parse(json) as LogEntry;
  } catch {
    return json.trimEnd();
  }
  if (entry.msg?.startsWith('Server listening at ')) return undefined;
  const time = new Date(entry.time).toTimeString().slice(0, 8);
  const level = entry.level === 30 ? '' : `${(LEVEL_NAMES[entry.level] ?? String(entry.level)).toUpperCase()} `;
  let text: string;
  if (entry.req !== undefined && entry.res !== undefined && entry.responseTime !== undefined) {
    text = `${entry.req.method} ${entry.req.url} ${entry.res.statusCode} ${entry.responseTime.toFixed(1)} ms`;
    if (entry.err?.message) text += `: ${entry.err.message}`;
  } else {
    const extra = Object.entries(entry)
      .filter(([key]) => !SHOWN.has(key))
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
    text = [entry.msg ?? '', ...extra].join(' ').trim();
    if (entry.err?.message) text += `: ${entry.err.message}`;
  }
  return `${time} ${level}${text}`;
}

/**
 * Fastify's logger: JSON to stdout (or `out`), or the same entries turned into human lines. Requests are logged by
 * request-log.ts: route, path and query without personal data or secrets, the client's address if `logClientIp`.
 */
export function loggerOptions(
  config: Pick<Config, 'logLevel' | 'logClientIp'>,
  format: LogFormat,
  out?: NodeJS.WritableStream,
): NonNullable<FastifyServerOptions['logger']> {
  const options = { level: config.logLevel, redact: REDACT, serializers: { req: requestSerializer({ clientIp: config.logClientIp }) } };
  if (format === 'json') return out === undefined ? options : { ...options, stream: out };
  const to = out ?? process.stdout;
  return {
    ...options,
    stream: {
      write: (line: string) => {
        const text = humanLine(line);
        if (text !== undefined) to.write(`${text}\n`);
      },
    },
  };
}
