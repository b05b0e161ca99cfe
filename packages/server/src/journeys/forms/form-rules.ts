import { ABSOLUTE_MAX_LENGTH, type JourneyFieldRules } from '../../../../web/src/journey-forms.ts';
import type { InputComponent } from './form-format.ts';

/**
 * The rules of one input component as both checks apply them (`checkJourneyValue` in packages/web/src/journey-forms.ts):
 * the server validates a submission with these, and presents exactly these to the page.
 */

/** A length limit as a number, or undefined for "no limit" (TrustX writes "" for unset limits). */
export function lengthLimit(value: number | string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  return typeof value === 'number' ? value : Number.parseInt(value, 10);
}

/** A number or date limit as the rules carry it (a string), or undefined for "" / absent. */
export function rangeLimit(value: number | string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return String(value);
}

type Localized = { values: Record<string, string> } | undefined;
/** Every rule and message any input type may set (each type's schema allows its own subset). */
export interface ValidateRules {
  required?: boolean;
  minLength?: number | string;
  maxLength?: number | string;
  pattern?: string;
  min?: number | string;
  max?: number | string;
  missingMessage?: Localized;
  invalidMessage?: Localized;
  invalidLengthMessage?: Localized;
  outOfRangeMessage?: Localized;
}

export function validateOf(component: InputComponent): ValidateRules {
  return component.validate ?? {};
}

export function fieldRules(component: InputComponent): JourneyFieldRules {
  const validate = validateOf(component);
  const min = lengthLimit(validate.minLength);
  const pattern = validate.pattern === undefined || validate.pattern === '' ? undefined : validate.pattern;
  const rangeMin = rangeLimit(validate.min);
  const rangeMax = rangeLimit(validate.max);
  return {
    type: component.type,
    value: component.default ?? '',
    readOnly: component.readOnly ?? false,
    required: component.validate?.required ?? false,
    ...(min === undefined ? {} : { minLength: min }),
    maxLength: lengthLimit(validate.maxLength) ?? ABSOLUTE_MAX_LENGTH,
    ...(pattern === undefined ? {} : { pattern }),
    ...('options' in component ? { options: component.options.map((option) => ({ value: option.value })) } : {}),
    ...(rangeMin === undefined ? {} : { min: rangeMin }),
    ...(rangeMax === undefined ? {} : { max: rangeMax }),
  };
}
