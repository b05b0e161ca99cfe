import { isInput, lengthLimit, type FormDocument, type InputComponent } from './form-format.ts';
import { ABSOLUTE_MAX_LENGTH, EMAIL, type JourneyFieldError, type JourneyFieldErrorCode } from '../../../../web/src/journey-forms.ts';
import { builtInMessage, fillPlaceholders, hasBuiltIn, pickInLanguage, pickLocalized } from './form-localization.ts';

/**
 * Server-side validation of a submitted form with exactly the rules the presented form shows
 * (form-presentation.ts sends `required`, `minLength`, `maxLength` and the type to the runner):
 * values are trimmed; `required` fails on an empty value; lengths count UTF-16 code units as HTML
 * `minlength`/`maxlength` do, and apply only to a non-empty value; `email` needs an address.
 * Read-only fields keep their default whatever the client sends. Unknown keys are ignored.
 * The types, the length cap and the e-mail rule are the browser check's (packages/web/src/journey-forms.ts),
 * so the page and the server cannot drift apart.
 */

export type FieldErrorCode = JourneyFieldErrorCode;

/** `message` is localized: the form's own message when it sets one for the locale, else Keyway's (en/de). */
export type FieldError = JourneyFieldError;

export interface SubmissionResult {
  valid: boolean;
  /** Every input component's value, by component id (transient ones included, for the step to use) */
  values: Record<string, string>;
  /** The values to persist into the journey variables: non-transient components only */
  persisted: Record<string, string>;
  errors: FieldError[];
}

export { ABSOLUTE_MAX_LENGTH };

export function labelOf(component: { id: string; label: { values: Record<string, string> } }, locale: string): string {
  return pickLocalized(component.label.values, locale) ?? component.id;
}

/**
 * The message for a refusal of `component`, for `locale`, with `{label}`, `{min}`, `{max}` filled.
 * The presented form sends all three (form-presentation.ts), so the browser shows exactly this text.
 */
export function fieldMessage(component: InputComponent, code: FieldErrorCode, locale: string): string {
  const label = labelOf(component, locale);
  const min = lengthLimit(component.validate?.minLength);
  const max = lengthLimit(component.validate?.maxLength);
  const values = { label, min, max };
  const own = {
    missing: component.validate?.missingMessage,
    invalid: component.validate?.invalidMessage,
    invalidLength: component.validate?.invalidLengthMessage,
  }[code];
  // The form's message in the user's language; else Keyway's in that language (en/de); else the form's in any language.
  const text = pickInLanguage(own?.values, locale) ?? (hasBuiltIn(locale) ? undefined : pickLocalized(own?.values, locale));
  if (text !== undefined) return fillPlaceholders(text, values);
  if (code === 'missing') return builtInMessage('missing', locale, values);
  if (code === 'invalid') return builtInMessage(component.type === 'email' ? 'invalidEmail' : 'invalid', locale, values);
  if (min !== undefined && max !== undefined) return builtInMessage('lengthBetween', locale, values);
  if (min !== undefined) return builtInMessage('lengthAtLeast', locale, values);
  return builtInMessage('lengthAtMost', locale, { ...values, max: max ?? ABSOLUTE_MAX_LENGTH });
}

/** The first rule a value breaks, or undefined when it passes. */
function breach(component: InputComponent, raw: unknown): { code: FieldErrorCode; value: string } | { code: undefined; value: string } {
  if (component.readOnly) return { code: undefined, value: (component.default ?? '').trim() };
  if (raw !== undefined && raw !== null && typeof raw !== 'string') return { code: 'invalid', value: '' };
  const value = (raw ?? '').trim();
  if (value === '') return { code: component.validate?.required ? 'missing' : undefined, value };
  const min = lengthLimit(component.validate?.minLength);
  const max = lengthLimit(component.validate?.maxLength) ?? ABSOLUTE_MAX_LENGTH;
  if ((min !== undefined && value.length < min) || value.length > max) return { code: 'invalidLength', value };
  if (component.type === 'email' && !EMAIL.test(value)) return { code: 'invalid', value };
  return { code: undefined, value };
}

/** Validates `data` (an object of component id → string) against the form, for `locale`. */
export function validateSubmission(form: FormDocument, data: unknown, locale: string): SubmissionResult {
  const submitted = typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
  const values: Record<string, string> = {};
  const persisted: Record<string, string> = {};
  const errors: FieldError[] = [];
  const inputs = (form.components ?? []).filter(isInput).sort((a, b) => a.index - b.index);
  for (const component of inputs) {
    // Own properties only: a key such as `__proto__` or `constructor` is never read from the prototype.
    const raw = Object.hasOwn(submitted, component.id) ? submitted[component.id] : undefined;
    const result = breach(component, raw);
    if (result.code !== undefined) {
      errors.push({ field: component.id, code: result.code, message: fieldMessage(component, result.code, locale) });
      continue;
    }
    values[component.id] = result.value;
    if (!component.transient) persisted[component.id] = result.value;
  }
  return { valid: errors.length === 0, values, persisted, errors };
}
