// The form builder's edits of a custom form's JSON: each returns a new form, so the JSON editor and the builder
// show one document. Components keep their order by `index`, renumbered 0…n-1 after every edit.

export const ELEMENT_TYPES = ['text', 'email', 'select', 'radio', 'checkbox', 'date', 'phone', 'number', 'paragraph', 'image', 'notification'] as const;
export type ElementType = (typeof ELEMENT_TYPES)[number];
export const INPUT_TYPES: readonly string[] = ['text', 'email', 'select', 'radio', 'checkbox', 'date', 'phone', 'number'];

export interface Localized {
  values: Record<string, string>;
}
export interface BuilderOption {
  value: string;
  label: Localized;
}
/** A component as the JSON holds it; the builder edits the members it knows and keeps the others. */
export interface BuilderComponent {
  type: string;
  id: string;
  index: number;
  label?: Localized;
  values?: Record<string, string>;
  options?: BuilderOption[];
  validate?: Record<string, unknown>;
  [member: string]: unknown;
}
export interface BuilderForm {
  title?: { type: 'title'; values: Record<string, string> };
  components?: BuilderComponent[];
  [member: string]: unknown;
}

/** A 1×1 transparent PNG: a new image's placeholder until a file is chosen. */
export const BLANK_IMAGE = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

export function isBuilderForm(value: unknown): value is BuilderForm {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function ordered(form: BuilderForm): BuilderComponent[] {
  const list = Array.isArray(form.components) ? form.components.filter((c) => typeof c === 'object' && c !== null) : [];
  return [...list].sort((a, b) => (Number(a.index) || 0) - (Number(b.index) || 0));
}

function withList(form: BuilderForm, list: BuilderComponent[]): BuilderForm {
  return { ...form, components: list.map((component, index) => ({ ...component, index })) };
}

export function textIn(localized: { values?: Record<string, string> } | undefined, language: string): string {
  return localized?.values?.[language] ?? '';
}

export function withText(localized: Localized | undefined, language: string, text: string): Localized {
  return { values: { ...(localized?.values ?? {}), [language]: text } };
}

function freeId(form: BuilderForm, type: string): string {
  const taken = new Set(ordered(form).map((c) => c.id));
  for (let n = 1; ; n++) if (!taken.has(`${type}${n}`)) return `${type}${n}`;
}

const STARTER_LABEL: Record<string, Record<string, string>> = {
  en: { field: 'New field', option: 'Option', text: 'Text', image: 'Image' },
  de: { field: 'Neues Feld', option: 'Möglichkeit', text: 'Text', image: 'Bild' },
};

function starter(type: ElementType, id: string, language: string): BuilderComponent {
  const words = STARTER_LABEL[language] ?? STARTER_LABEL.en!;
  const label = { values: { [language]: words.field! } };
  switch (type) {
    case 'paragraph':
      return { type, id, index: 0, label: { values: { [language]: '' } }, values: { [language]: words.text! } };
    case 'notification':
      return { type, id, index: 0, severity: 'info', label: { values: { [language]: '' } }, values: { [language]: words.text! } };
    case 'image':
      return { type, id, index: 0, src: BLANK_IMAGE, alt: { values: { [language]: words.image! } } };
    case 'select':
    case 'radio':
      return {
        type,
        id,
        index: 0,
        label,
        options: [1, 2].map((n) => ({ value: `option${n}`, label: { values: { [language]: `${words.option!} ${n}` } } })),
        validate: { required: false },
      };
    default:
      return { type, id, index: 0, label, validate: { required: false } };
  }
}

/** Adds a component of `type` at the end; answers the form and the new component's position. */
export function addComponent(form: BuilderForm, type: ElementType, language: string): { form: BuilderForm; at: number } {
  const list = ordered(form);
  list.push(starter(type, freeId(form, type), language));
  return { form: withList(form, list), at: list.length - 1 };
}

/** Moves the component at `from` so it ends up at position `to`. */
export function moveComponent(form: BuilderForm, from: number, to: number): BuilderForm {
  const list = ordered(form);
  if (from < 0 || from >= list.length || to < 0 || to >= list.length || from === to) return form;
  const [moved] = list.splice(from, 1);
  list.splice(to, 0, moved!);
  return withList(form, list);
}

export function removeComponent(form: BuilderForm, at: number): BuilderForm {
  const list = ordered(form);
  list.splice(at, 1);
  return withList(form, list);
}

export function updateComponent(form: BuilderForm, at: number, next: BuilderComponent): BuilderForm {
  const list = ordered(form);
  list[at] = next;
  return withList(form, list);
}

/** Sets a validation rule; "" or undefined removes it (TrustX's "" means "no limit" too, but absent is clearer). */
export function withRule(component: BuilderComponent, rule: string, value: unknown): BuilderComponent {
  const validate = { ...(component.validate ?? {}) };
  if (value === undefined || value === '') delete validate[rule];
  else validate[rule] = value;
  return { ...component, validate };
}

export function withTitle(form: BuilderForm, language: string, text: string): BuilderForm {
  return { ...form, title: { type: 'title', values: { ...(form.title?.values ?? {}), [language]: text } } };
}

/** The form's button text in `language` (a submit button's, else a continue button's). */
export function buttonText(form: BuilderForm, language: string): string {
  const button = (form.submitButton ?? form.continueButton) as { values?: Record<string, string> } | undefined;
  return button?.values?.[language] ?? '';
}

/** Sets the button text: on the form's submit button if it has one, else on its continue button (added if absent). */
export function withButtonText(form: BuilderForm, language: string, text: string): BuilderForm {
  const member = form.submitButton ? 'submitButton' : 'continueButton';
  const button = (form[member] ?? { type: member, values: {} }) as { type: string; values?: Record<string, string> };
  return { ...form, [member]: { ...button, values: { ...(button.values ?? {}), [language]: text } } };
}
