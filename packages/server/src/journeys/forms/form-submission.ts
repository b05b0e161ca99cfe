import { isInput, type FormDocument, type InputComponent } from './form-format.ts';
import { fieldRules, lengthLimit, validateOf } from './form-rules.ts';
import {
  ABSOLUTE_MAX_LENGTH,
  checkJourneyValue,
  hasRange,
  invalidKey,
  rangeKey,
  type JourneyFieldError,
  type JourneyFieldErrorCode,
} from '../../../../web/src/journey-forms.ts';
import { builtInMessage, fillPlaceholders, hasBuiltIn, pickInLanguage, pickLocalized } from './form-localization.ts';

/**
 * Server-side validation of a submitted form with exactly the rules the presented form shows
 * (form-presentation.ts sends each field's rules from form-rules.ts to the runner): values are trimmed;
 * `required` fails on an empty value (an unticked box); lengths count UTF-16 code units as HTML
 * `minlength`/`maxlength` do, and apply only to a non-empty value; then each type's own rule (e-mail,
 * pattern, option, number, date, E.164 phone, range). Read-only fields keep their default whatever the
 * client sends. Unknown keys are ignored. The check itself is the browser's (`checkJourneyValue` in
 * packages/web/src/journey-forms.ts), so the page and the server cannot drift apart.
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
 * The message for a refusal of `component`, for `locale`, with `{label}`, `{min}`, `{max}` filled (a number's
 * or a date's range, else the lengths). The presented form sends all four (form-presentation.ts), so the
 * browser shows exactly this text.
 */
export function fieldMessage(component: InputComponent, code: FieldErrorCode, locale: string): string {
  const label = labelOf(component, locale);
  const validate = validateOf(component);
  const rules = fieldRules(component);
  const min = lengthLimit(validate.minLength);
  const max = lengthLimit(validate.maxLength);
  const values = hasRange(component.type) ? { label, min: rules.min, max: rules.max } : { label, min, max };
  const own = {
    missing: validate.missingMessage,
    invalid: validate.invalidMessage,
    invalidLength: validate.invalidLengthMessage,
    outOfRange: validate.outOfRangeMessage,
  }[code];
  // The form's message in the user's language; else Keyway's in that language (en/de); else the form's in any language.
  const text = pickInLanguage(own?.values, locale) ?? (hasBuiltIn(locale) ? undefined : pickLocalized(own?.values, locale));
  if (text !== undefined) return fillPlaceholders(text, values);
  if (code === 'missing') return builtInMessage('missing', locale, values);
  if (code === 'invalid') return builtInMessage(invalidKey(component.type), locale, values);
  if (code === 'outOfRange') return builtInMessage(rangeKey(component.type, rules), locale, values);
  if (min !== undefined && max !== undefined) return builtInMessage('lengthBetween', locale, values);
  if (min !== undefined) return builtInMessage('lengthAtLeast', locale, values);
  return builtInMessage('lengthAtMost', locale, { ...values, max: max ?? ABSOLUTE_MAX_LENGTH });
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
    // The browser's own check (packages/web/src/journey-forms.ts), with the rules the page is sent.
    const result = checkJourneyValue(fieldRules(component), raw);
    if (result.code !== undefined) {
      errors.push({ field: component.id, code: result.code, message: fieldMessage(component, result.code, locale) });
      continue;
    }
    values[component.id] = result.value;
    if (!component.transient) persisted[component.id] = result.value;
  }
  return { valid: errors.length === 0, values, persisted, errors };
}
