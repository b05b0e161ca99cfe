// A real SMTP server for tests (the `smtp-server` package) on a loopback port: it accepts every message and parses it
// with `mailparser`, so a test reads the e-mails Keyway sent (recipients, subject, text, HTML) and follows their links.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** The inline attachments' content ids */
  attachments: string[];
}

export interface SmtpListener {
  port: number;
  /** The mails received so far, in order. */
  mails: ReceivedMail[];
  /** Environment for Keyway: KEYWAY_SMTP_* pointing at this listener (no TLS: a relay on this machine). */
  env: Record<string, string>;
  /** Resolves with the `count`-th mail (1-based) once it has arrived. */
  waitFor(count: number): Promise<ReceivedMail>;
  /** Refuses the next `count` messages with a temporary failure (451), to test retries. */
  refuseNext(count: number): void;
  close(): Promise<void>;
}

export async function startSmtpListener(): Promise<SmtpListener> {
  const mails: ReceivedMail[] = [];
  const waiters: { count: number; resolve: (mail: ReceivedMail) => void }[] = [];
  let refusals = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      if (refusals > 0) {
        refusals -= 1;
        stream.resume();
        // Worded as real servers word it, quoting the recipient (which Keyway must not copy into its warnings).
        const recipient = session.envelope.rcptTo[0]?.address ?? '';
        stream.on('end', () => callback(Object.assign(new Error(`<${recipient}>: try again later`), { responseCode: 451 })));
        return;
      }
      simpleParser(stream).then(
        (parsed) => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            attachments: parsed.attachments.map((a) => a.cid ?? ''),
          });
          for (const waiter of waiters.filter((w) => w.count <= mails.length)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(mails[waiter.count - 1]!);
          }
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    mails,
    env: {
      KEYWAY_SMTP_HOST: '127.0.0.1',
      KEYWAY_SMTP_PORT: String(port),
      KEYWAY_SMTP_SECURITY: 'none',
      KEYWAY_SMTP_FROM: 'Keyway Test <no-reply@keyway.test>',
    },
    waitFor(count) {
      if (mails.length >= count) return Promise.resolve(mails[count - 1]!);
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    refuseNext(count) {
      refusals += count;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
