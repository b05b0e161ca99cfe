import { escapeHtml } from '../../../hosted/src/shell-kit.ts';
import type { Branding } from '../branding/branding-service.ts';
import type { MailAttachment } from './mail-transport.ts';

/** What an e-mail says: each kind is one template, in every e-mail language. */
export type EmailContent =
  | { kind: 'lostPasskey'; link: string; expiresInMinutes: number }
  | { kind: 'verifyEmail'; link: string; expiresInMinutes: number }
  | { kind: 'oneTimeCode'; code: string; expiresInMinutes: number };

/** The languages e-mails are written in; any other falls back to English. */
export const EMAIL_LANGUAGES = ['en', 'de'] as const;
export type EmailLanguage = (typeof EMAIL_LANGUAGES)[number];

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  attachments: MailAttachment[];
}

/** One template's texts. `{product}`, `{minutes}` and `{code}` are filled in (escaped for the HTML part). */
interface TemplateTexts {
  subject: string;
  greeting: string;
  lead: string;
  /** The button's label (link templates) or the line before the code */
  action: string;
  expiry: string;
  ignore: string;
}

const TEXTS: Record<EmailLanguage, Record<EmailContent['kind'], TemplateTexts>> = {
  en: {
    lostPasskey: {
      subject: 'Recover your {product} account',
      greeting: 'Hello,',
      lead: 'Someone asked to recover the {product} account of this e-mail address. If it was you, create a new passkey with this link:',
      action: 'Create a new passkey',
      expiry: 'The link works once and expires in {minutes} minutes.',
      ignore: 'If you did not ask for this, ignore this e-mail: nothing changes in your account.',
    },
    verifyEmail: {
      subject: 'Confirm your e-mail address for {product}',
      greeting: 'Hello,',
      lead: 'An account at {product} was created with this e-mail address. Please confirm that it is yours:',
      action: 'Confirm my e-mail address',
      expiry: 'The link works once and expires in {minutes} minutes.',
      // Not "ignore this e-mail": an account someone else created with this address would keep it.
      ignore: 'Not you? Open the same link and choose “No, I did not sign up”: the account is removed and your address is free again.',
    },
    oneTimeCode: {
      subject: 'Your {product} code',
      greeting: 'Hello,',
      lead: 'Use this code to continue at {product}:',
      action: 'Your code',
      expiry: 'The code expires in {minutes} minutes. Never give it to anyone: {product} will not ask you for it.',
      ignore: 'If you did not ask for a code, ignore this e-mail.',
    },
  },
  de: {
    lostPasskey: {
      subject: 'Ihr {product}-Konto wiederherstellen',
      greeting: 'Guten Tag,',
      lead: 'Jemand möchte das {product}-Konto dieser E-Mail-Adresse wiederherstellen. Wenn Sie das waren, erstellen Sie mit diesem Link einen neuen Passkey:',
      action: 'Neuen Passkey erstellen',
      expiry: 'Der Link funktioniert einmal und läuft in {minutes} Minuten ab.',
      ignore: 'Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: An Ihrem Konto ändert sich nichts.',
    },
    verifyEmail: {
      subject: 'Bestätigen Sie Ihre E-Mail-Adresse für {product}',
      greeting: 'Guten Tag,',
      lead: 'Bei {product} wurde ein Konto mit dieser E-Mail-Adresse erstellt. Bitte bestätigen Sie, dass es Ihres ist:',
      action: 'E-Mail-Adresse bestätigen',
      expiry: 'Der Link funktioniert einmal und läuft in {minutes} Minuten ab.',
      ignore:
        'Waren Sie das nicht? Öffnen Sie denselben Link und wählen Sie „Nein, das war ich nicht“: Das Konto wird entfernt und Ihre Adresse ist wieder frei.',
    },
    oneTimeCode: {
      subject: 'Ihr Code für {product}',
      greeting: 'Guten Tag,',
      lead: 'Mit diesem Code geht es bei {product} weiter:',
      action: 'Ihr Code',
      expiry: 'Der Code läuft in {minutes} Minuten ab. Geben Sie ihn niemandem weiter: {product} fragt Sie nie danach.',
      ignore: 'Wenn Sie keinen Code angefordert haben, ignorieren Sie diese E-Mail.',
    },
  },
};

/** The first of `preferred` that e-mails are written in, else English. */
export function emailLanguage(preferred: readonly (string | null | undefined)[]): EmailLanguage {
  for (const language of preferred) {
    const base = language?.toLowerCase().split('-')[0];
    if ((EMAIL_LANGUAGES as readonly string[]).includes(base ?? '')) return base as EmailLanguage;
  }
  return 'en';
}

const LOGO_CID = 'store-logo';

/**
 * Renders an e-mail in the store's branding: a plain-text part and an HTML part whose every inserted value is
 * escaped. The HTML uses inline styles and a table (what mail clients render); colours are the light palette.
 */
export function renderEmail(content: EmailContent, language: EmailLanguage, branding: Branding): RenderedEmail {
  const texts = TEXTS[language][content.kind];
  const values: Record<string, string> = {
    product: branding.productName,
    minutes: String(content.expiresInMinutes),
    ...(content.kind === 'oneTimeCode' ? { code: content.code } : {}),
  };
  const fill = (template: string) => template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
  const subject = fill(texts.subject);

  const textLines = [fill(texts.greeting), '', fill(texts.lead), ''];
  if (content.kind === 'oneTimeCode') textLines.push(`${fill(texts.action)}: ${content.code}`);
  else textLines.push(content.link);
  textLines.push('', fill(texts.expiry), '', fill(texts.ignore), '', `— ${branding.productName}`);

  const palette = branding.palettes.light;
  const e = (template: string) => escapeHtml(fill(template));
  const logo = branding.logo;
  const attachments: MailAttachment[] = logo?.url.startsWith('data:') ? [{ cid: LOGO_CID, path: logo.url }] : [];
  const logoHtml = logo
    ? `<img src="${escapeHtml(logo.url.startsWith('data:') ? `cid:${LOGO_CID}` : logo.url)}" alt="${escapeHtml(branding.productName)}" height="40" style="height:40px;max-width:200px">`
    : `<strong style="font-size:18px">${escapeHtml(branding.productName)}</strong>`;
  const action =
    content.kind === 'oneTimeCode'
      ? `<p style="margin:16px 0 4px">${e(texts.action)}:</p>
<p style="margin:0 0 16px;font-size:28px;font-weight:bold;letter-spacing:6px;font-family:monospace">${escapeHtml(content.code)}</p>`
      : `<p style="margin:24px 0"><a href="${escapeHtml(content.link)}" style="display:inline-block;padding:12px 20px;border-radius:6px;background:${escapeHtml(palette.primary)};color:${escapeHtml(palette.onPrimary)};text-decoration:none;font-weight:bold">${e(texts.action)}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:${escapeHtml(palette.mutedText)};word-break:break-all">${escapeHtml(content.link)}</p>`;
  const html = `<!doctype html>
<html lang="${language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:0;background:${escapeHtml(palette.background)};color:${escapeHtml(palette.text)};font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:${escapeHtml(palette.surface)};border:1px solid ${escapeHtml(palette.border)};border-radius:8px">
<tr><td style="padding:24px">
<p style="margin:0 0 24px">${logoHtml}</p>
<p style="margin:0 0 12px">${e(texts.greeting)}</p>
<p style="margin:0 0 12px">${e(texts.lead)}</p>
${action}
<p style="margin:0 0 12px">${e(texts.expiry)}</p>
<p style="margin:0;color:${escapeHtml(palette.mutedText)}">${e(texts.ignore)}</p>
</td></tr></table>
</td></tr></table>
</body>
</html>`;
  return { subject, text: textLines.join('\n'), html, attachments };
}
