import {
  hasRange,
  type JourneyFieldRules,
  type JourneyForm,
  type JourneyFormImage,
  type JourneyFormInput,
  type JourneyFormNotification,
  type JourneyFormParagraph,
} from '../../../../web/src/journey-forms.ts';
import { isInput, type FormComponent, type FormDocument, type InputComponent } from './form-format.ts';
import { fieldRules } from './form-rules.ts';
import { builtInMessage, pickLocalized } from './form-localization.ts';
import { fieldMessage, labelOf, type FieldError, type FieldErrorCode } from './form-submission.ts';

/**
 * What a client-facing form step sends the runner: the form resolved for the request's locale,
 * in index order, with exactly the rules the server validates (form-submission.ts), so the page can
 * show them and check them before submitting. After a refused submission it carries the
 * per-field messages and the values as submitted, so the user corrects rather than retypes.
 * Each input carries its three refusal messages as the server words them (the form's own or
 * Keyway's, placeholders filled), so the page's text before submitting is the server's after.
 */

/**
 * The browser's types (packages/web/src/journey-forms.ts); the server always sends the messages of every refusal
 * the field can meet (`outOfRange` only for a number or a date).
 */
export type PresentedInput = JourneyFormInput & { messages: Record<Exclude<FieldErrorCode, 'outOfRange'>, string> & { outOfRange?: string } };
export type PresentedParagraph = JourneyFormParagraph;
export type PresentedComponent = PresentedInput | JourneyFormParagraph | JourneyFormImage | JourneyFormNotification;
export type PresentedForm = Omit<JourneyForm, 'components'> & { components: PresentedComponent[] };

function presentShown(component: Exclude<FormComponent, InputComponent>, locale: string): PresentedComponent {
  switch (component.type) {
    case 'paragraph':
      return {
        type: 'paragraph',
        id: component.id,
        label: pickLocalized(component.label.values, locale) ?? '',
        text: pickLocalized(component.values, locale) ?? '',
      };
    case 'image':
      return { type: 'image', id: component.id, alt: pickLocalized(component.alt?.values, locale) ?? '', src: component.src };
    case 'notification':
      return {
        type: 'notification',
        id: component.id,
        severity: component.severity ?? 'info',
        label: pickLocalized(component.label.values, locale) ?? '',
        text: pickLocalized(component.values, locale) ?? '',
      };
  }
}

export function presentForm(
  form: FormDocument,
  meta: { name: string; version: number; locale: string; hideButtons?: boolean | undefined },
  after?: { errors: FieldError[]; submitted: unknown },
): PresentedForm {
  const { locale } = meta;
  const submitted = typeof after?.submitted === 'object' && after.submitted !== null ? (after.submitted as Record<string, unknown>) : {};
  const components = [...(form.components ?? [])]
    .sort((a, b) => a.index - b.index)
    .map((component): PresentedComponent => {
      if (!isInput(component)) return presentShown(component, locale);
      const echoed = Object.hasOwn(submitted, component.id) ? submitted[component.id] : undefined;
      const placeholder = pickLocalized(component.placeholder?.values, locale);
      // Without `options`: a choice's options are presented with their labels below.
      const rules: Omit<JourneyFieldRules, 'options'> = fieldRules(component);
      return {
        ...rules,
        id: component.id,
        label: labelOf(component, locale),
        ...(placeholder === undefined ? {} : { placeholder }),
        value: !component.readOnly && typeof echoed === 'string' ? echoed : rules.value,
        ...('options' in component
          ? { options: component.options.map((option) => ({ value: option.value, label: pickLocalized(option.label.values, locale) ?? option.value })) }
          : {}),
        messages: {
          missing: fieldMessage(component, 'missing', locale),
          invalidLength: fieldMessage(component, 'invalidLength', locale),
          invalid: fieldMessage(component, 'invalid', locale),
          ...(hasRange(component.type) ? { outOfRange: fieldMessage(component, 'outOfRange', locale) } : {}),
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
