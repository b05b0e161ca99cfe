import type { JourneyForm, JourneyFormInput, JourneyFormParagraph } from '../../../../web/src/journey-forms.ts';
import { isInput, lengthLimit, type FormDocument } from './form-format.ts';
import { builtInMessage, pickLocalized } from './form-localization.ts';
import { ABSOLUTE_MAX_LENGTH, fieldMessage, labelOf, type FieldError, type FieldErrorCode } from './form-submission.ts';

/**
 * What a client-facing form step sends the runner: the form resolved for the request's locale,
 * in index order, with exactly the rules the server validates (form-submission.ts), so the page can
 * show them and check them before submitting. After a refused submission it carries the
 * per-field messages and the values as submitted, so the user corrects rather than retypes.
 * Each input carries its three refusal messages as the server words them (the form's own or
 * Keyway's, placeholders filled), so the page's text before submitting is the server's after.
 */

/** The browser's types (packages/web/src/journey-forms.ts); the server always sends all three messages. */
export type PresentedInput = JourneyFormInput & { messages: Record<FieldErrorCode, string> };
export type PresentedParagraph = JourneyFormParagraph;
export type PresentedForm = Omit<JourneyForm, 'components'> & { components: (PresentedInput | PresentedParagraph)[] };

export function presentForm(
  form: FormDocument,
  meta: { name: string; version: number; locale: string; hideButtons?: boolean | undefined },
  after?: { errors: FieldError[]; submitted: unknown },
): PresentedForm {
  const { locale } = meta;
  const submitted = typeof after?.submitted === 'object' && after.submitted !== null ? (after.submitted as Record<string, unknown>) : {};
  const components = [...(form.components ?? [])]
    .sort((a, b) => a.index - b.index)
    .map((component): PresentedInput | PresentedParagraph => {
      if (!isInput(component))
        return {
          type: 'paragraph',
          id: component.id,
          label: pickLocalized(component.label.values, locale) ?? '',
          text: pickLocalized(component.values, locale) ?? '',
        };
      const echoed = Object.hasOwn(submitted, component.id) ? submitted[component.id] : undefined;
      const min = lengthLimit(component.validate?.minLength);
      const placeholder = pickLocalized(component.placeholder?.values, locale);
      return {
        type: component.type,
        id: component.id,
        label: labelOf(component, locale),
        ...(placeholder === undefined ? {} : { placeholder }),
        value: !component.readOnly && typeof echoed === 'string' ? echoed : (component.default ?? ''),
        readOnly: component.readOnly ?? false,
        required: component.validate?.required ?? false,
        ...(min === undefined ? {} : { minLength: min }),
        maxLength: lengthLimit(component.validate?.maxLength) ?? ABSOLUTE_MAX_LENGTH,
        messages: {
          missing: fieldMessage(component, 'missing', locale),
          invalidLength: fieldMessage(component, 'invalidLength', locale),
          invalid: fieldMessage(component, 'invalid', locale),
        },
      };
    });
  let button: PresentedForm['button'] = null;
  if (!meta.hideButtons) {
    // A form without a button (TrustX's retry forms) still needs a way on: a default Continue.
    button = form.submitButton
      ? { type: 'submit', label: pickLocalized(form.submitButton.values, locale) ?? builtInMessage('submit', locale) }
      : { type: 'continue', label: pickLocalized(form.continueButton?.values, locale) ?? builtInMessage('continue', locale) };
  }
  return {
    name: meta.name,
    version: meta.version,
    locale,
    title: pickLocalized(form.title.values, locale) ?? '',
    components,
    button,
    errors: after?.errors ?? [],
  };
}
