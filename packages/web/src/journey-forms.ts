// The custom forms of journey steps (TrustX Custom Data Forms, as the server presents them) and their checks in the
// browser. The rules are exactly the server's: packages/server/src/journeys/forms/form-submission.ts imports
// the types, limits and messages below (this module stays dependency-free and browser-safe), and
// packages/web/test/journey-forms.test.ts compares both checks over the same inputs. So a value the page
// accepts is one the server accepts; the messages are the ones the server sends with each field.

export type JourneyFieldErrorCode = 'missing' | 'invalidLength' | 'invalid';

/** A refused field: as the server reports it in `form.errors`, and as `validateJourneyForm` answers it. */
export interface JourneyFieldError {
  /** The component id */
  field: string;
  code: JourneyFieldErrorCode;
  /** Localized for the form's locale */
  message: string;
}

export interface JourneyFormInput {
  type: 'text' | 'email';
  id: string;
  label: string;
  placeholder?: string;
  /** The default, or the value as submitted when the form comes back with errors */
  value: string;
  readOnly: boolean;
  required: boolean;
  minLength?: number;
  maxLength: number;
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

/** A custom form resolved for one locale, in index order. */
export interface JourneyForm {
  name: string;
  version: number;
  locale: string;
  title: string;
  components: (JourneyFormInput | JourneyFormParagraph)[];
  /** The button to show; null when the step hides buttons (the page proceeds after `delaySeconds`). */
  button: { type: 'submit' | 'continue'; label: string } | null;
  /** The server's refusals of the previous submission (empty the first time). */
  errors: JourneyFieldError[];
}

/** Without a maxLength a value is still capped, so a journey variable cannot be made arbitrarily large. */
export const ABSOLUTE_MAX_LENGTH = 10_000;

// The WHATWG HTML "valid e-mail address" rule: the server's, and what <input type=email> applies.
export const EMAIL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export type BuiltInKey = 'missing' | 'invalid' | 'invalidEmail' | 'lengthBetween' | 'lengthAtLeast' | 'lengthAtMost';
/** Keyway's refusal messages (also the server's: form-localization.ts), for a form that sets none. */
export const BUILT_IN: Record<'en' | 'de' | 'fr' | 'es', Record<BuiltInKey, string>> = {
  en: {
    missing: '{label} is required.',
    invalid: '{label} is not valid.',
    invalidEmail: '{label} must be an e-mail address such as name@example.com.',
    lengthBetween: '{label} must be {min} to {max} characters long.',
    lengthAtLeast: '{label} must be at least {min} characters long.',
    lengthAtMost: '{label} must be at most {max} characters long.',
  },
  de: {
    missing: '{label} ist erforderlich.',
    invalid: '{label} ist ungültig.',
    invalidEmail: '{label} muss eine E-Mail-Adresse wie name@example.com sein.',
    lengthBetween: '{label} muss {min} bis {max} Zeichen lang sein.',
    lengthAtLeast: '{label} muss mindestens {min} Zeichen lang sein.',
    lengthAtMost: '{label} darf höchstens {max} Zeichen lang sein.',
  },
  fr: {
    missing: '{label} est obligatoire.',
    invalid: '{label} n’est pas valide.',
    invalidEmail: '{label} doit être une adresse e-mail comme nom@example.com.',
    lengthBetween: '{label} doit comporter entre {min} et {max} caractères.',
    lengthAtLeast: '{label} doit comporter au moins {min} caractères.',
    lengthAtMost: '{label} doit comporter au plus {max} caractères.',
  },
  es: {
    missing: '{label} es obligatorio.',
    invalid: '{label} no es válido.',
    invalidEmail: '{label} debe ser una dirección de correo como nombre@example.com.',
    lengthBetween: '{label} debe tener entre {min} y {max} caracteres.',
    lengthAtLeast: '{label} debe tener al menos {min} caracteres.',
    lengthAtMost: '{label} debe tener como máximo {max} caracteres.',
  },
};

/** The built-in language of a locale such as `fr-CA` or `de-DE,de;q=0.9`: its own when Keyway has it, else English. */
export function builtInLanguage(locale: string): keyof typeof BUILT_IN {
  const language = locale.split(/[-,;]/)[0]!.trim().toLowerCase();
  return Object.hasOwn(BUILT_IN, language) ? (language as keyof typeof BUILT_IN) : 'en';
}

function fill(text: string, values: Record<string, string | number | undefined>): string {
  return text.replace(/\{(label|min|max)\}/g, (whole, key: string) => (values[key] === undefined ? whole : String(values[key])));
}

function messageFor(input: JourneyFormInput, code: JourneyFieldErrorCode, locale: string): string {
  // As sent: filling again would change a label or a text that itself contains `{min}` or `{max}`.
  const sent = input.messages?.[code];
  if (sent) return sent;
  const values = { label: input.label, min: input.minLength, max: input.maxLength };
  const texts = BUILT_IN[builtInLanguage(locale)];
  if (code === 'missing') return fill(texts.missing, values);
  if (code === 'invalid') return fill(input.type === 'email' ? texts.invalidEmail : texts.invalid, values);
  // Only for a form presented without messages: the server words a length error by the limits the form
  // sets, and an unset maxLength is presented as the cap (an explicit one equal to the cap reads as unset).
  const hasMax = input.maxLength !== ABSOLUTE_MAX_LENGTH;
  if (input.minLength !== undefined && hasMax) return fill(texts.lengthBetween, values);
  if (input.minLength !== undefined) return fill(texts.lengthAtLeast, values);
  return fill(texts.lengthAtMost, values);
}

/** The first rule a value breaks (the server's order: type, required, length, e-mail), or undefined. */
function breach(input: JourneyFormInput, raw: unknown): JourneyFieldErrorCode | undefined {
  if (input.readOnly) return undefined;
  if (raw !== undefined && raw !== null && typeof raw !== 'string') return 'invalid';
  // Trimmed as the server trims; lengths in UTF-16 code units, as HTML minlength/maxlength count.
  const value = (raw ?? '').trim();
  if (value === '') return input.required ? 'missing' : undefined;
  if ((input.minLength !== undefined && value.length < input.minLength) || value.length > input.maxLength) return 'invalidLength';
  if (input.type === 'email' && !EMAIL.test(value)) return 'invalid';
  return undefined;
}

export function isFormInput(component: JourneyForm['components'][number]): component is JourneyFormInput {
  return component.type === 'text' || component.type === 'email';
}

/** Checks `values` (component id → text) with the server's rules; answers every refused field, in form order. */
export function validateJourneyForm(form: JourneyForm, values: Readonly<Record<string, unknown>>): JourneyFieldError[] {
  const errors: JourneyFieldError[] = [];
  for (const input of form.components.filter(isFormInput)) {
    const code = breach(input, Object.hasOwn(values, input.id) ? values[input.id] : undefined);
    if (code) errors.push({ field: input.id, code, message: messageFor(input, code, form.locale) });
  }
  return errors;
}
