import type { Transporter } from 'nodemailer';
import type { SmtpConfig } from '../config/config.ts';

/** One e-mail as the outbox hands it to the transport. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Inline images the HTML refers to by `cid:` (a store's `data:` logo: many mail clients block `data:` images) */
  attachments: MailAttachment[];
}

export interface MailAttachment {
  cid: string;
  /** A `data:` URL */
  path: string;
}

/** Where e-mails go: SMTP in production (nodemailer), anything with `send` in a test of the outbox alone. */
export interface MailTransport {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/**
 * An SMTP transport through nodemailer. `starttls` requires the upgrade (a server that does not offer it is an
 * error, not a reason to send in clear); `none` is only configurable for a relay on this machine (config.ts).
 * nodemailer (about 40 modules) loads with the first e-mail, not at start: most processes send none.
 */
export function smtpTransport(config: SmtpConfig): MailTransport {
  let transporter: Promise<Transporter> | undefined;
  const connect = async () =>
    (await import('nodemailer')).default.createTransport({
      host: config.host,
      port: config.port,
      secure: config.security === 'tls',
      requireTLS: config.security === 'starttls',
      ignoreTLS: config.security === 'none',
      ...(config.user === undefined ? {} : { auth: { user: config.user, pass: config.password ?? '' } }),
      // A relay that hangs must not hold the outbox's lease for minutes.
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 30_000,
    });
  return {
    async send(message) {
      transporter ??= connect();
      await (
        await transporter
      ).sendMail({
        from: config.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        attachments: message.attachments.map((a) => ({ cid: a.cid, path: a.path })),
        // nodemailer may read `path` from files or URLs: only the data: URLs given here are allowed.
        disableFileAccess: true,
        disableUrlAccess: true,
      });
    },
    close() {
      void transporter?.then(
        (t) => t.close(),
        () => undefined, // nodemailer never loaded: nothing to close
      );
    },
  };
}
