import { BUILT_IN, builtInLanguage as webBuiltInLanguage, type BuiltInKey } from '../../../../web/src/journey-forms.ts';

/**
 * Picking the text of a localized value for a request's locale, and the built-in messages used
 * where a form leaves a message empty (TrustX forms often leave every message ""). Keyway ships
 * English, German, French and Spanish; any other language falls back to English.
 */

export type BuiltInLanguage = keyof typeof BUILT_IN;

/** The first language tag of a locale or an Accept-Language value: `de-DE,de;q=0.9` → `de-DE`. */
export function primaryTag(locale: string): string {
  return locale.split(',')[0]!.split(';')[0]!.trim() || 'en';
}

/**
 * The text for `locale` from `{tag: text}`: the exact tag (case-insensitive), then its language
 * (`de-AT` → `de`), then any regional variant of that language, then English, then the first
 * non-empty text. Empty strings count as absent. Undefined when nothing is set.
 */
export function pickLocalized(values: Readonly<Record<string, string>> | undefined, locale: string): string | undefined {
  if (values === undefined) return undefined;
  const entries = Object.entries(values).filter(([, text]) => text.trim() !== '');
  if (entries.length === 0) return undefined;
  const tag = primaryTag(locale).toLowerCase();
  const language = tag.split('-')[0]!;
  const byTag = (wanted: string) => entries.find(([key]) => key.toLowerCase() === wanted)?.[1];
  const byLanguage = (wanted: string) => entries.find(([key]) => key.toLowerCase().split('-')[0] === wanted)?.[1];
  return byTag(tag) ?? byTag(language) ?? byLanguage(language) ?? byTag('en') ?? byLanguage('en') ?? entries[0]![1];
}

/** Keyway ships messages in this language (the request's language is one of BUILT_IN's). */
export function hasBuiltIn(locale: string): boolean {
  return Object.hasOwn(BUILT_IN, primaryTag(locale).toLowerCase().split('-')[0]!);
}

/** Like pickLocalized, but only a text in the request's language (no fallback to English or other languages). */
export function pickInLanguage(values: Readonly<Record<string, string>> | undefined, locale: string): string | undefined {
  const language = primaryTag(locale).toLowerCase().split('-')[0]!;
  const own = Object.fromEntries(Object.entries(values ?? {}).filter(([key]) => key.toLowerCase().split('-')[0] === language));
  return pickLocalized(own, locale);
}

/** The built-in language used for messages: the request's when Keyway ships it (`fr-CA` → `fr`), else English. */
export function builtInLanguage(locale: string): BuiltInLanguage {
  return webBuiltInLanguage(primaryTag(locale));
}

export type MessageKey = BuiltInKey | 'submit' | 'continue';

// The refusal messages are the browser check's own (packages/web/src/journey-forms.ts), so both word them alike.
const MESSAGES: Record<BuiltInLanguage, Record<MessageKey, string>> = {
  en: { ...BUILT_IN.en, submit: 'Submit', continue: 'Continue' },
  de: { ...BUILT_IN.de, submit: 'Absenden', continue: 'Weiter' },
  fr: { ...BUILT_IN.fr, submit: 'Envoyer', continue: 'Continuer' },
  es: { ...BUILT_IN.es, submit: 'Enviar', continue: 'Continuar' },
};

/** Replaces `{label}`, `{min}`, `{max}` (also in a form's own messages, so they may use them). */
export function fillPlaceholders(text: string, values: Readonly<Record<string, string | number | undefined>>): string {
  return text.replace(/\{(label|min|max)\}/g, (whole, key: string) => {
    const value = values[key];
    return value === undefined ? whole : String(value);
  });
}

export function builtInMessage(key: MessageKey, locale: string, values: Readonly<Record<string, string | number | undefined>> = {}): string {
  return fillPlaceholders(MESSAGES[builtInLanguage(locale)][key], values);
}
