// Draws a custom form (as the server presents it, packages/web/src/journey-forms.ts) into DOM: one field per input
// with its label, a fieldset and legend for a radio group, errors linked to their controls by aria-describedby.
// The one renderer of forms: the hosted journey runner draws steps with it, and the console's form builder draws
// its live preview with it, so the preview is the page. Plain DOM, no framework; nothing inserted as HTML.
import { isFormInput, type JourneyFieldError, type JourneyForm, type JourneyFormInput } from '../../web/src/journey-forms.ts';

export interface FormViewTexts {
  /** Shown after the label of a required field, e.g. "required" */
  required: string;
  /** The empty first choice of a drop-down list, e.g. "Choose…" */
  choose: string;
}

export interface FormView {
  /** The <form>, its fields and a row with the primary button (callers may add more buttons to `buttonRow`) */
  element: HTMLFormElement;
  buttonRow: HTMLDivElement;
  primary: HTMLButtonElement;
  /** What would be submitted now: component id → text, as the server takes it */
  values(): Record<string, string>;
  /** Shows each error at its field (clears the others); answers the control to focus, if any field was marked */
  markErrors(errors: readonly JourneyFieldError[]): HTMLElement | undefined;
}

export type Child = Node | string | null | undefined | false;
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

/**
 * Headings are sentence case: a title written all in capitals (TrustX form titles often are, e.g. "REGISTRATION")
 * is shown with only its first letter capital. Short ones (up to four letters, such as "PIN") are left as written.
 */
export function sentenceCase(title: string, lang: string): string {
  const letters = title.replace(/[^\p{L}]/gu, '');
  if (letters.length <= 4 || title !== title.toLocaleUpperCase(lang) || title === title.toLocaleLowerCase(lang)) return title;
  const lower = title.toLocaleLowerCase(lang);
  return lower.charAt(0).toLocaleUpperCase(lang) + lower.slice(1);
}

interface Field {
  /** The controls that get aria-invalid and aria-describedby: one, or each radio of a group */
  controls: (HTMLInputElement | HTMLSelectElement)[];
  error: HTMLElement;
  value(): string;
}

const INPUT_TYPES: Partial<Record<JourneyFormInput['type'], string>> = { email: 'email', phone: 'tel', date: 'date' };
const AUTOCOMPLETE: Partial<Record<JourneyFormInput['type'], string>> = { email: 'email', phone: 'tel' };

function requiredMark(input: JourneyFormInput, texts: FormViewTexts): Child {
  return input.required ? h('span', { class: 'required' }, ` (${texts.required})`) : null;
}

function drawInput(input: JourneyFormInput, prefix: string, texts: FormViewTexts): { node: HTMLElement; field: Field } {
  const id = `${prefix}${input.id}`;
  const error = h('p', { id: `${id}-error`, class: 'field-error', hidden: true });
  const common = { name: input.id, 'aria-required': input.required ? 'true' : undefined };
  switch (input.type) {
    case 'radio': {
      const radios = (input.options ?? []).map((option, at) =>
        // aria-required belongs to the group (radiogroup), not to each radio.
        h('input', { name: input.id, id: `${id}-${at}`, type: 'radio', value: option.value, checked: option.value === input.value, disabled: input.readOnly }),
      );
      const rows = (input.options ?? []).map((option, at) => h('div', { class: 'choice' }, radios[at]!, h('label', { for: `${id}-${at}` }, option.label)));
      const group = h(
        'fieldset',
        { class: 'field choices', id, role: 'radiogroup', 'aria-required': input.required ? 'true' : undefined },
        h('legend', {}, input.label, requiredMark(input, texts)),
        ...rows,
        error,
      );
      return {
        node: group,
        field: { controls: radios, error, value: () => radios.find((radio) => radio.checked)?.value ?? (input.readOnly ? input.value : '') },
      };
    }
    case 'checkbox': {
      const box = h('input', { ...common, id, type: 'checkbox', value: 'true', checked: input.value === 'true', disabled: input.readOnly });
      const node = h('div', { class: 'field' }, h('div', { class: 'checkbox' }, box, h('label', { for: id }, input.label, requiredMark(input, texts))), error);
      return { node, field: { controls: [box], error, value: () => (box.checked ? 'true' : 'false') } };
    }
    case 'select': {
      const select = h(
        'select',
        { ...common, id, disabled: input.readOnly },
        h('option', { value: '' }, texts.choose),
        ...(input.options ?? []).map((option) => h('option', { value: option.value, selected: option.value === input.value }, option.label)),
      );
      const node = h('div', { class: 'field' }, h('label', { for: id }, input.label, requiredMark(input, texts)), select, error);
      return { node, field: { controls: [select], error, value: () => select.value } };
    }
    default: {
      const control = h('input', {
        ...common,
        id,
        type: INPUT_TYPES[input.type] ?? 'text',
        // A number is typed as text: the browser's number field drops what it cannot parse, so the checks would see "" instead.
        inputmode: input.type === 'number' ? 'decimal' : undefined,
        value: input.value,
        placeholder: input.placeholder,
        readonly: input.readOnly,
        maxlength: input.type === 'date' ? undefined : String(input.maxLength),
        min: input.type === 'date' ? input.min : undefined,
        max: input.type === 'date' ? input.max : undefined,
        autocomplete: AUTOCOMPLETE[input.type] ?? 'off',
        spellcheck: 'false',
      });
      const node = h('div', { class: 'field' }, h('label', { for: id }, input.label, requiredMark(input, texts)), control, error);
      return { node, field: { controls: [control], error, value: () => control.value } };
    }
  }
}

function drawShown(component: Exclude<JourneyForm['components'][number], JourneyFormInput>): HTMLElement {
  switch (component.type) {
    case 'paragraph':
      return h(
        'div',
        { class: 'paragraph', 'data-component': component.id },
        component.label ? h('p', { class: 'paragraph-label' }, component.label) : null,
        h('p', {}, component.text),
      );
    case 'image':
      return h('img', { class: 'form-image', 'data-component': component.id, src: component.src, alt: component.alt });
    case 'notification':
      return h(
        'div',
        { class: `notification notification-${component.severity}`, 'data-component': component.id },
        component.label ? h('p', { class: 'notification-label' }, component.label) : null,
        h('p', {}, component.text),
      );
  }
}

/** Draws `form`; `prefix` keeps element ids unique when several forms share a document (the console's preview). */
export function renderForm(form: JourneyForm | null, options: { texts: FormViewTexts; buttonLabel: string; prefix?: string }): FormView {
  const prefix = options.prefix ?? 'field-';
  const fields = new Map<string, Field>();
  const element = h('form', { class: 'stack', novalidate: true, 'data-form': form?.name });
  for (const component of form?.components ?? []) {
    if (!isFormInput(component)) {
      element.append(drawShown(component));
      continue;
    }
    const { node, field } = drawInput(component, prefix, options.texts);
    fields.set(component.id, field);
    element.append(node);
  }
  const primary = h('button', { type: 'submit', class: 'primary' }, options.buttonLabel);
  const buttonRow = h('div', { class: 'button-row' }, primary);
  element.append(buttonRow);

  const markErrors = (errors: readonly JourneyFieldError[]): HTMLElement | undefined => {
    for (const field of fields.values()) {
      for (const control of field.controls) {
        control.removeAttribute('aria-invalid');
        control.removeAttribute('aria-describedby');
      }
      field.error.hidden = true;
      field.error.textContent = '';
    }
    let first: HTMLElement | undefined;
    for (const e of errors) {
      const field = fields.get(e.field);
      if (!field) continue;
      for (const control of field.controls) {
        control.setAttribute('aria-invalid', 'true');
        control.setAttribute('aria-describedby', field.error.id);
      }
      field.error.textContent = e.message;
      field.error.hidden = false;
      first ??= field.controls[0];
    }
    return first;
  };
  return { element, buttonRow, primary, values: () => Object.fromEntries([...fields].map(([key, field]) => [key, field.value()])), markErrors };
}
