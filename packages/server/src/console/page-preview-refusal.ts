// What the custom page preview's frame shows when the preview is refused or fails: a short page in the console's
// language (en, de) that says why and what to do, instead of the problem+json the console's other calls get. The
// frame is a navigation the console cannot read (sandboxed, an opaque origin), so the operator reads the answer
// there, and JSON in a frame reads as a broken preview.
import { createHash } from 'node:crypto';
import { escapeHtml } from '../../../hosted/src/shell-kit.ts';
import type { ErrorCode } from '../errors/catalogue.ts';
import type { ProblemAnswer } from '../http/problem-gate.ts';
import { MAX_PAGE_BYTES } from '../journeys/pages/page-service.ts';

export const PREVIEW_LANGUAGES = ['en', 'de'] as const;
export type PreviewLanguage = (typeof PREVIEW_LANGUAGES)[number];

interface RefusalTexts {
  title: string;
  /** Why, by error code; `other` for the rest. */
  reasons: Partial<Record<ErrorCode, string>> & { other: string };
  reference: string;
}

// What the console sends is refused for its size only (a custom page is HTML of at most MAX_PAGE_BYTES).
const LIMIT = `${MAX_PAGE_BYTES / 1024} KiB`;
const TOO_LARGE = {
  en: `The page cannot be previewed as it is: a custom page may be at most ${LIMIT}.`,
  de: `Die Seite kann so nicht gezeigt werden: Eine eigene Seite darf höchstens ${LIMIT} groß sein.`,
};

const TEXTS: Record<PreviewLanguage, RefusalTexts> = {
  en: {
    title: 'No preview',
    reasons: {
      CONSOLE_SIGN_IN_REQUIRED: 'Your console session has ended. Sign in again to see the preview.',
      FORBIDDEN: 'Your role may not read custom pages, so the console cannot show this preview.',
      CSRF_REJECTED: 'Only the console itself may ask for this preview.',
      PAYLOAD_TOO_LARGE: TOO_LARGE.en,
      VALIDATION_FAILED: TOO_LARGE.en,
      other: 'The preview could not be drawn just now. It is drawn again when you next change the page.',
    },
    reference: 'Reference',
  },
  de: {
    title: 'Keine Vorschau',
    reasons: {
      CONSOLE_SIGN_IN_REQUIRED: 'Ihre Sitzung in der Konsole ist abgelaufen. Melden Sie sich erneut an, um die Vorschau zu sehen.',
      FORBIDDEN: 'Ihre Rolle darf eigene Seiten nicht lesen, daher kann die Konsole diese Vorschau nicht zeigen.',
      CSRF_REJECTED: 'Nur die Konsole selbst darf diese Vorschau anfordern.',
      PAYLOAD_TOO_LARGE: TOO_LARGE.de,
      VALIDATION_FAILED: TOO_LARGE.de,
      other: 'Die Vorschau konnte gerade nicht gezeichnet werden. Sie wird bei Ihrer nächsten Änderung der Seite neu gezeichnet.',
    },
    reference: 'Referenz',
  },
};

// The console's system font and muted reference line; the frame's background is white (.preview-frame).
const STYLE =
  'body{margin:0;padding:1.5rem;font:16px/1.5 system-ui,sans-serif;color:#1f2328;background:#fff}h1{font-size:1.125rem;margin:0 0 .5rem}p{margin:0 0 .5rem;max-width:40rem}.reference{color:#59636e;font-size:.875rem}';

/** The refusal page's own policy: nothing but its one style element, inert like the preview it stands in for. */
export const PREVIEW_REFUSAL_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
  'sandbox',
].join('; ');

/** The language the console asked for (`?lang=`), English otherwise. */
export function previewLanguage(query: unknown): PreviewLanguage {
  const lang = (query as { lang?: unknown } | undefined)?.lang;
  return PREVIEW_LANGUAGES.find((l) => l === lang) ?? 'en';
}

/** The refusal page for a problem answer, in `lang`. */
export function renderPreviewRefusal(answer: ProblemAnswer, lang: PreviewLanguage): string {
  const texts = TEXTS[lang];
  const reason = texts.reasons[answer.body.code] ?? texts.reasons.other;
  return `<!doctype html>
<html lang="${lang}">
<head><meta charset="utf-8"><title>${escapeHtml(texts.title)}</title><style>${STYLE}</style></head>
<body><main>
<h1>${escapeHtml(texts.title)}</h1>
<p>${escapeHtml(reason)}</p>
<p class="reference">${escapeHtml(texts.reference)}: ${escapeHtml([answer.body.code, answer.body.instance].filter(Boolean).join(' · '))}</p>
</main></body>
</html>
`;
}
