// The custom forms of journey steps (TrustX Custom Data Forms, as the server presents them) and their checks in the
// browser. The rules are exactly the server's: packages/server/src/journeys/forms/form-submission.ts imports
// the types, limits and messages below (this module stays dependency-free and browser-safe), and
// packages/web/test/journey-forms.test.ts compares both checks over the same inputs. So a value the page
// accepts is one the server accepts; the messages are the ones the server sends with each field.

import { compileJourneyPattern, type CompiledPattern, type JourneyPattern } from './journey-pattern.ts';

export type JourneyFieldErrorCode = 'missing' | 'invalidLength' | 'invalid' | 'outOfRange';

/** A refused field: as the server reports it in `form.errors`, and as `validateJourneyForm` answers it. */
export interface JourneyFieldError {
  /** The component id */
  field: string;
  code: JourneyFieldErrorCode;
  /** Localized for the form's locale */
  message: string;
}

/** The input element types of a form; each value travels as a string. */
export type JourneyInputType = 'text' | 'email' | 'select' | 'radio' | 'checkbox' | 'date' | 'phone' | 'number';
export const JOURNEY_INPUT_TYPES: readonly JourneyInputType[] = ['text', 'email', 'select', 'radio', 'checkbox', 'date', 'phone', 'number'];

export interface JourneyFormOption {
  value: string;
  label: string;
}

/**
 * The rules one value is checked by, in the browser and on the server alike (`checkJourneyValue`).
 * `value` is the default (a read-only field always keeps it).
 */
export interface JourneyFieldRules {
  type: JourneyInputType;
  value: string;
  readOnly: boolean;
  required: boolean;
  /** text, email: UTF-16 code units, as HTML minlength/maxlength count */
  minLength?: number;
  /** Every type: a value is capped (ABSOLUTE_MAX_LENGTH when the form sets no limit) */
  maxLength: number;
  /** text: the whole value must match, as the HTML `pattern` attribute (`v` flag), in linear time (journey-pattern.ts) */
  pattern?: string;
  /** select, radio: the allowed values */
  options?: readonly { value: string }[];
  /** number: decimal numbers; date: YYYY-MM-DD (inclusive) */
  min?: string;
  max?: string;
}

export interface JourneyFormInput extends JourneyFieldRules {
  id: string;
  label: string;
  placeholder?: string;
  /** select, radio: the choices with their labels in the form's locale */
  options?: JourneyFormOption[];
  /**
   * The message for each refusal, exactly as the server words it for this form and locale (the form's
   * own text or Keyway's, placeholders filled). Shown as is; Keyway's built-in text only where absent.
   */
  messages?: Partial<Record<JourneyFieldErrorCode, string>>;
}

export interface JourneyFormParagraph {
  type: 'paragraph';
  id: string;
  label: string;
  text: string;
}

/** A picture: a data: URL (png, jpeg, gif, webp) — the runner's Content-Security-Policy loads no other image. */
export interface JourneyFormImage {
  type: 'image';
  id: string;
  /** The text alternative; "" for a decorative image */
  alt: string;
  src: string;
}

export type JourneyNotificationSeverity = 'info' | 'success' | 'warning' | 'error';
/** A highlighted message (an information, a warning…), shown, never submitted. */
export interface JourneyFormNotification {
  type: 'notification';
  id: string;
  severity: JourneyNotificationSeverity;
  label: string;
  text: string;
}

export type JourneyFormComponent = JourneyFormInput | JourneyFormParagraph | JourneyFormImage | JourneyFormNotification;

/** A custom form resolved for one locale, in index order. */
export interface JourneyForm {
  name: string;
  version: number;
  locale: string;
  title: string;
  components: JourneyFormComponent[];
  /** The button to show; null when the step hides buttons (the page proceeds after `delaySeconds`). */
  button: { type: 'submit' | 'continue'; label: string } | null;
  /** The server's refusals of the previous submission (empty the first time). */
  errors: JourneyFieldError[];
}

/** Without a maxLength a value is still capped, so a journey variable cannot be made arbitrarily large. */
export const ABSOLUTE_MAX_LENGTH = 10_000;

// The WHATWG HTML "valid e-mail address" rule: the server's, and what <input type=email> applies.
export const EMAIL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
// The WHATWG HTML "valid floating-point number" (what <input type=number> submits).
export const NUMBER = /^-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;
// The WHATWG HTML "valid date string" shape (what <input type=date> submits); the calendar is checked apart.
export const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
/**
 * ITU-T E.164: "+", a country code not starting with 0, at most 15 digits in all. Spaces, hyphens, dots and
 * parentheses people type are dropped first (PHONE_SEPARATORS), and the compact form is what is stored.
 * A documented rule rather than libphonenumber's per-country tables: the browser SDK stays dependency-free.
 */
export const E164 = /^\+[1-9][0-9]{6,14}$/;
export const PHONE_SEPARATORS = /[\s().-]/g;

/** A real calendar day in the Gregorian calendar (2026-02-30 is not). */
export function isCalendarDate(value: string): boolean {
  const match = DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const compiledPatterns = new Map<string, CompiledPattern>();
/**
 * The text pattern as HTML applies it (the whole value, `v` flag), matched in linear time (journey-pattern.ts);
 * undefined for a pattern forms cannot use (the server refuses to save one; see `compileJourneyPattern`).
 */
export function fieldPattern(pattern: string): JourneyPattern | undefined {
  let compiled = compiledPatterns.get(pattern);
  if (!compiled) {
    if (compiledPatterns.size >= 256) compiledPatterns.clear();
    compiled = compileJourneyPattern(pattern);
    compiledPatterns.set(pattern, compiled);
  }
  return compiled.pattern;
}

export type BuiltInKey =
  | 'missing'
  | 'invalid'
  | 'invalidEmail'
  | 'invalidNumber'
  | 'invalidDate'
  | 'invalidPhone'
  | 'invalidOption'
  | 'lengthBetween'
  | 'lengthAtLeast'
  | 'lengthAtMost'
  | 'rangeBetween'
  | 'numberAtLeast'
  | 'numberAtMost'
  | 'dateNotBefore'
  | 'dateNotAfter';
/** Keyway's refusal messages (also the server's: form-localization.ts), for a form that sets none. */
export const BUILT_IN: Record<'en' | 'de' | 'fr' | 'es', Record<BuiltInKey, string>> = {
  en: {
    missing: '{label} is required.',
    invalid: '{label} is not valid.',
    invalidEmail: '{label} must be an e-mail address such as name@example.com.',
    invalidNumber: '{label} must be a number.',
    invalidDate: '{label} must be a date.',
    invalidPhone: '{label} must be a phone number in international format, such as +49 30 1234567.',
    invalidOption: '{label}: choose one of the options.',
    lengthBetween: '{label} must be {min} to {max} characters long.',
    lengthAtLeast: '{label} must be at least {min} characters long.',
    lengthAtMost: '{label} must be at most {max} characters long.',
    rangeBetween: '{label} must be from {min} to {max}.',
    numberAtLeast: '{label} must be at least {min}.',
    numberAtMost: '{label} must be at most {max}.',
    dateNotBefore: '{label} must be {min} or later.',
    dateNotAfter: '{label} must be {max} or earlier.',
  },
  de: {
    missing: '{label} ist erforderlich.',
    invalid: '{label} ist ungültig.',
    invalidEmail: '{label} muss eine E-Mail-Adresse wie name@example.com sein.',
    invalidNumber: '{label} muss eine Zahl sein.',
    invalidDate: '{label} muss ein Datum sein.',
    invalidPhone: '{label} muss eine Telefonnummer im internationalen Format sein, etwa +49 30 1234567.',
    invalidOption: '{label}: Bitte eine der Möglichkeiten wählen.',
    lengthBetween: '{label} muss {min} bis {max} Zeichen lang sein.',
    lengthAtLeast: '{label} muss mindestens {min} Zeichen lang sein.',
    lengthAtMost: '{label} darf höchstens {max} Zeichen lang sein.',
    rangeBetween: '{label} muss zwischen {min} und {max} liegen.',
    numberAtLeast: '{label} muss mindestens {min} sein.',
    numberAtMost: '{label} darf höchstens {max} sein.',
    dateNotBefore: '{label} darf nicht vor dem {min} liegen.',
    dateNotAfter: '{label} darf nicht nach dem {max} liegen.',
  },
  fr: {
    missing: '{label} est obligatoire.',
    invalid: '{label} n’est pas valide.',
    invalidEmail: '{label} doit être une adresse e-mail comme nom@example.com.',
    invalidNumber: '{label} doit être un nombre.',
    invalidDate: '{label} doit être une date.',
    invalidPhone: '{label} doit être un numéro de téléphone au format international, comme +33 1 23 45 67 89.',
    invalidOption: '{label} : choisissez l’une des options.',
    lengthBetween: '{label} doit comporter entre {min} et {max} caractères.',
    lengthAtLeast: '{label} doit comporter au moins {min} caractères.',
    lengthAtMost: '{label} doit comporter au plus {max} caractères.',
    rangeBetween: '{label} doit être compris entre {min} et {max}.',
    numberAtLeast: '{label} doit être au moins {min}.',
    numberAtMost: '{label} doit être au plus {max}.',
    dateNotBefore: '{label} ne peut pas être antérieur au {min}.',
    dateNotAfter: '{label} ne peut pas être postérieur au {max}.',
  },
  es: {
    missing: '{label} es obligatorio.',
    invalid: '{label} no es válido.',
    invalidEmail: '{label} debe ser una dirección de correo como nombre@example.com.',
    invalidNumber: '{label} debe ser un número.',
    invalidDate: '{label} debe ser una fecha.',
    invalidPhone: '{label} debe ser un número de teléfono en formato internacional, como +34 912 345 678.',
    invalidOption: '{label}: elija una de las opciones.',
    lengthBetween: '{label} debe tener entre {min} y {max} caracteres.',
    lengthAtLeast: '{label} debe tener al menos {min} caracteres.',
    lengthAtMost: '{label} debe tener como máximo {max} caracteres.',
    rangeBetween: '{label} debe estar entre {min} y {max}.',
    numberAtLeast: '{label} debe ser como mínimo {min}.',
    numberAtMost: '{label} debe ser como máximo {max}.',
    dateNotBefore: '{label} no puede ser anterior al {min}.',
    dateNotAfter: '{label} no puede ser posterior al {max}.',
  },
};

/** The built-in language of a locale such as `fr-CA` or `de-DE,de;q=0.9`: its own when Keyway has it, else English. */
export function builtInLanguage(locale: string): keyof typeof BUILT_IN {
  const language = locale.split(/[-,;]/)[0]!.trim().toLowerCase();
  return Object.hasOwn(BUILT_IN, language) ? (language as keyof typeof BUILT_IN) : 'en';
}

/** Number and date fields fill `{min}`/`{max}` with their range; the text types with their lengths. */
export function hasRange(type: JourneyInputType): boolean {
  return type === 'number' || type === 'date';
}

/** Keyway's message for an `invalid` value of this type (a value that is not what the field takes). */
export function invalidKey(type: JourneyInputType): BuiltInKey {
  const keys: Partial<Record<JourneyInputType, BuiltInKey>> = {
    email: 'invalidEmail',
    number: 'invalidNumber',
    date: 'invalidDate',
    phone: 'invalidPhone',
    select: 'invalidOption',
    radio: 'invalidOption',
  };
  return keys[type] ?? 'invalid';
}

/** Keyway's message for a value `outOfRange`: by which ends the range has. */
export function rangeKey(type: JourneyInputType, range: { min?: string | undefined; max?: string | undefined }): BuiltInKey {
  if (range.min !== undefined && range.max !== undefined) return 'rangeBetween';
  if (type === 'date') return range.min !== undefined ? 'dateNotBefore' : 'dateNotAfter';
  return range.min !== undefined ? 'numberAtLeast' : 'numberAtMost';
}

function fill(text: string, values: Record<string, string | number | undefined>): string {
  return text.replace(/\{(label|min|max)\}/g, (whole, key: string) => (values[key] === undefined ? whole : String(values[key])));
}

function messageFor(input: JourneyFormInput, code: JourneyFieldErrorCode, locale: string): string {
  // As sent: filling again would change a label or a text that itself contains `{min}` or `{max}`.
  const sent = input.messages?.[code];
  if (sent) return sent;
  const values = hasRange(input.type)
    ? { label: input.label, min: input.min, max: input.max }
    : { label: input.label, min: input.minLength, max: input.maxLength };
  const texts = BUILT_IN[builtInLanguage(locale)];
  if (code === 'missing') return fill(texts.missing, values);
  if (code === 'invalid') return fill(texts[invalidKey(input.type)], values);
  if (code === 'outOfRange') return fill(texts[rangeKey(input.type, input)], values);
  // Only for a form presented without messages: the server words a length error by the limits the form
  // sets, and an unset maxLength is presented as the cap (an explicit one equal to the cap reads as unset).
  const hasMax = input.maxLength !== ABSOLUTE_MAX_LENGTH;
  if (input.minLength !== undefined && hasMax) return fill(texts.lengthBetween, values);
  if (input.minLength !== undefined) return fill(texts.lengthAtLeast, values);
  return fill(texts.lengthAtMost, values);
}

/** The value as the field keeps it: trimmed; a phone number compact; a checkbox "true" or "false". */
function normalized(type: JourneyInputType, value: string): string {
  if (type === 'phone') return value.replace(PHONE_SEPARATORS, '');
  if (type === 'checkbox') return value === 'true' ? 'true' : value === '' || value === 'false' ? 'false' : value;
  return value;
}

/**
 * The one check of a value, the browser's and the server's (form-submission.ts calls it): the first rule the value
 * breaks — type, required, length, then the field type's own rule (e-mail, pattern, option, number, date, phone,
 * range) — and the value as kept. A read-only field keeps its default whatever is sent.
 */
export function checkJourneyValue(rules: JourneyFieldRules, raw: unknown): { code: JourneyFieldErrorCode | undefined; value: string } {
  if (rules.readOnly) return { code: undefined, value: rules.value.trim() };
  if (raw !== undefined && raw !== null && typeof raw !== 'string') return { code: 'invalid', value: '' };
  // Trimmed as the server trims; lengths in UTF-16 code units, as HTML minlength/maxlength count.
  const trimmed = (raw ?? '').trim();
  const value = normalized(rules.type, trimmed);
  // An unticked box is no answer: required means it must be ticked.
  if (trimmed === '' || (rules.type === 'checkbox' && value === 'false')) return { code: rules.required ? 'missing' : undefined, value };
  if ((rules.minLength !== undefined && value.length < rules.minLength) || value.length > rules.maxLength) return { code: 'invalidLength', value };
  switch (rules.type) {
    case 'email':
      return { code: EMAIL.test(value) ? undefined : 'invalid', value };
    case 'text':
      // A pattern the server refuses to save (one stored before today's rules) refuses every value rather than passes.
      return { code: rules.pattern === undefined || fieldPattern(rules.pattern)?.matches(value) === true ? undefined : 'invalid', value };
    case 'select':
    case 'radio':
      return { code: (rules.options ?? []).some((option) => option.value === value) ? undefined : 'invalid', value };
    case 'checkbox':
      return { code: value === 'true' ? undefined : 'invalid', value };
    case 'phone':
      return { code: E164.test(value) ? undefined : 'invalid', value };
    case 'number': {
      if (!NUMBER.test(value) || !Number.isFinite(Number(value))) return { code: 'invalid', value };
      const number = Number(value);
      const below = rules.min !== undefined && number < Number(rules.min);
      const above = rules.max !== undefined && number > Number(rules.max);
      return { code: below || above ? 'outOfRange' : undefined, value };
    }
    case 'date': {
      if (!isCalendarDate(value)) return { code: 'invalid', value };
      // YYYY-MM-DD strings order as the days they name.
      const outside = (rules.min !== undefined && value < rules.min) || (rules.max !== undefined && value > rules.max);
      return { code: outside ? 'outOfRange' : undefined, value };
    }
  }
}

export function isFormInput(component: JourneyFormComponent): component is JourneyFormInput {
  return (JOURNEY_INPUT_TYPES as readonly string[]).includes(component.type);
}

/** Checks `values` (component id → text) with the server's rules; answers every refused field, in form order. */
export function validateJourneyForm(form: JourneyForm, values: Readonly<Record<string, unknown>>): JourneyFieldError[] {
  const errors: JourneyFieldError[] = [];
  for (const input of form.components.filter(isFormInput)) {
    const { code } = checkJourneyValue(input, Object.hasOwn(values, input.id) ? values[input.id] : undefined);
    if (code) errors.push({ field: input.id, code, message: messageFor(input, code, form.locale) });
  }
  return errors;
}
