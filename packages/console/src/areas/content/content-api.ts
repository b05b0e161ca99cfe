// Custom forms (JSON, GET /schemas/custom-form.json) and custom pages (HTML) share one shape of API:
// a named item with numbered versions, drafts edited in place, one published. The two differ only in
// the path and the member holding the content (`form` or `html`), so one client serves both.
import { adminJson } from '../../api/client.ts';
import type { components } from '../../api/schema.ts';
import type { JourneyForm } from '../../../../web/src/journey-forms.ts';

export type ContentKind = 'forms' | 'pages';
export type ContentSummary = components['schemas']['ContentSummary'];
export type ContentVersionSummary = components['schemas']['ContentVersionSummary'];
export type ValidationReport = components['schemas']['ContentValidationReport'];

export interface ContentVersion extends ContentVersionSummary {
  form?: Record<string, unknown>;
  html?: string;
}

const base = (kind: ContentKind) => (kind === 'forms' ? '/api/custom-forms' : '/api/custom-pages');
const member = (kind: ContentKind) => (kind === 'forms' ? 'form' : 'html');
const at = (kind: ContentKind, name: string) => `${base(kind)}/${encodeURIComponent(name)}`;

/** The editor's text for a version: pretty JSON for a form, the HTML for a page. */
export function textOf(kind: ContentKind, version: ContentVersion): string {
  return kind === 'forms' ? JSON.stringify(version.form ?? {}, null, 2) : (version.html ?? '');
}

/** The body for the editor's text; a form's text must parse as JSON (the caller checks first). */
export function contentOf(kind: ContentKind, text: string): Record<string, unknown> {
  return { [member(kind)]: kind === 'forms' ? (JSON.parse(text) as unknown) : text };
}

export const contentApi = {
  list: (kind: ContentKind) => adminJson<{ items: ContentSummary[] }>('GET', `${base(kind)}?limit=200`),
  get: (kind: ContentKind, name: string) => adminJson<ContentSummary>('GET', at(kind, name)),
  create: (kind: ContentKind, name: string, text: string) => adminJson<ContentVersion>('POST', base(kind), { name, ...contentOf(kind, text) }),
  versions: (kind: ContentKind, name: string) => adminJson<{ items: ContentVersionSummary[] }>('GET', `${at(kind, name)}/versions`),
  version: (kind: ContentKind, name: string, version: number) => adminJson<ContentVersion>('GET', `${at(kind, name)}/versions/${version}`),
  newVersion: (kind: ContentKind, name: string, text: string) => adminJson<ContentVersion>('POST', `${at(kind, name)}/versions`, contentOf(kind, text)),
  saveVersion: (kind: ContentKind, name: string, version: number, text: string) =>
    adminJson<ContentVersion>('PUT', `${at(kind, name)}/versions/${version}`, contentOf(kind, text)),
  publish: (kind: ContentKind, name: string, version: number) => adminJson<ContentVersion>('POST', `${at(kind, name)}/versions/${version}/publish`, {}),
  validate: (kind: ContentKind, text: string) => adminJson<ValidationReport>('POST', `${base(kind)}/validate`, contentOf(kind, text)),
  /** A form's problems and, when it has none, the form as a form step sends the journey runner, in `locale`. */
  preview: (text: string, locale: string) =>
    adminJson<ValidationReport & { presented: JourneyForm | null }>('POST', '/api/custom-forms/preview', { ...contentOf('forms', text), locale }),
};

export const STARTER: Record<ContentKind, string> = {
  forms: JSON.stringify({ title: { type: 'title', values: { en: 'Tell us about you', de: 'Erzählen Sie uns von sich' } } }, null, 2),
  pages: '<!doctype html>\n<html lang="en">\n  <body>\n    <h1>Welcome</h1>\n    <p>This page is shown by a journey.</p>\n  </body>\n</html>\n',
};
