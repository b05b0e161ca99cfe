import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FieldProblem } from '../../errors/keyway-error.ts';

/**
 * The custom form format of TrustX “Custom Data Forms”: a localized title, a list
 * of components ordered by `index`, and a submit or continue button. Text components carry the
 * validation rules the page shows (`validate.required/minLength/maxLength`, lengths possibly given
 * as strings and "" meaning “no limit”, as the TrustX form builder writes them) and localized messages.
 */

/** BCP 47 language tags as keys: `en`, `de`, `en-US`. */
export const LANGUAGE_TAG_PATTERN = '^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$';

export const LocalizedText = Type.Object(
  { values: Type.Record(Type.String({ pattern: LANGUAGE_TAG_PATTERN }), Type.String({ maxLength: 4096 }), { maxProperties: 64 }) },
  { additionalProperties: false, description: 'Text per language tag, e.g. {"values": {"en": "Name", "de": "Name"}}; empty strings fall back' },
);
export type LocalizedText = Static<typeof LocalizedText>;

/** Component ids become keys of the journey variables: identifier-like, so `${formKey.userName}` works. */
export const COMPONENT_ID_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';
/** Names that would reach an object's prototype when used as a key. */
const RESERVED_IDS = new Set(['__proto__', 'constructor', 'prototype']);
const ComponentId = Type.String({ pattern: COMPONENT_ID_PATTERN, description: 'Unique in the form; the key of the value in the form output' });

/** A length limit: an integer, a string of digits, or "" for none (TrustX writes "" for unset limits). */
const LengthLimit = Type.Union([Type.Integer({ minimum: 0, maximum: 100_000 }), Type.String({ pattern: '^(?:|[0-9]{1,6})$' })], {
  description: 'Characters (UTF-16 code units, as HTML minlength/maxlength count them); "" means no limit',
});

const Validate = Type.Object(
  {
    required: Type.Optional(Type.Boolean()),
    minLength: Type.Optional(LengthLimit),
    maxLength: Type.Optional(LengthLimit),
    missingMessage: Type.Optional(LocalizedText),
    invalidMessage: Type.Optional(LocalizedText),
    invalidLengthMessage: Type.Optional(LocalizedText),
  },
  { additionalProperties: false },
);

const inputFields = {
  isValid: Type.Optional(Type.Boolean({ description: 'Written by the form builder; not used' })),
  readOnly: Type.Optional(Type.Boolean({ description: 'Shown but not editable: the server keeps the default whatever is submitted' })),
  id: ComponentId,
  label: LocalizedText,
  placeholder: Type.Optional(LocalizedText),
  default: Type.Optional(Type.String({ maxLength: 100_000 })),
  transient: Type.Optional(Type.Boolean({ description: 'Used by the step but not persisted into the journey variables' })),
  validate: Type.Optional(Validate),
  index: Type.Integer({ minimum: 0, maximum: 10_000 }),
};

export const TextComponent = Type.Object({ type: Type.Literal('text'), ...inputFields }, { additionalProperties: false });
export const EmailComponent = Type.Object(
  { type: Type.Literal('email'), ...inputFields },
  { additionalProperties: false, description: 'A text field that must hold an e-mail address (invalidMessage otherwise)' },
);
export const ParagraphComponent = Type.Object(
  {
    type: Type.Literal('paragraph'),
    isValid: Type.Optional(Type.Boolean()),
    id: ComponentId,
    label: LocalizedText,
    values: Type.Record(Type.String({ pattern: LANGUAGE_TAG_PATTERN }), Type.String({ maxLength: 16_384 }), {
      maxProperties: 64,
      description: 'The paragraph text per language',
    }),
    index: Type.Integer({ minimum: 0, maximum: 10_000 }),
  },
  { additionalProperties: false },
);

const Button = <T extends string>(type: T) =>
  Type.Object(
    {
      type: Type.Literal(type),
      isValid: Type.Optional(Type.Boolean()),
      values: Type.Record(Type.String({ pattern: LANGUAGE_TAG_PATTERN }), Type.String({ maxLength: 256 }), { maxProperties: 64 }),
    },
    { additionalProperties: false },
  );

const COMPONENT_SCHEMAS: Record<string, TSchema> = { text: TextComponent, email: EmailComponent, paragraph: ParagraphComponent };
export const COMPONENT_TYPES = Object.keys(COMPONENT_SCHEMAS);

export const FormDocumentSchema = Type.Object(
  {
    title: Type.Object(
      {
        values: Type.Record(Type.String({ pattern: LANGUAGE_TAG_PATTERN }), Type.String({ maxLength: 512 }), { maxProperties: 64 }),
        isValid: Type.Optional(Type.Boolean()),
        type: Type.Literal('title'),
      },
      { additionalProperties: false },
    ),
    components: Type.Optional(
      Type.Array(Type.Union([TextComponent, EmailComponent, ParagraphComponent]), {
        maxItems: 100,
        description: 'Absent: a form with only a title (and its button)',
      }),
    ),
    submitButton: Type.Optional(Button('submitButton')),
    continueButton: Type.Optional(Button('continueButton')),
  },
  { additionalProperties: false, description: 'A custom form in the format of TrustX Custom Data Forms' },
);

export type TextComponent = Static<typeof TextComponent>;
export type EmailComponent = Static<typeof EmailComponent>;
export type InputComponent = TextComponent | EmailComponent;
export type ParagraphComponent = Static<typeof ParagraphComponent>;
export type FormComponent = InputComponent | ParagraphComponent;
export type FormDocument = Static<typeof FormDocumentSchema>;

export function isInput(component: FormComponent): component is InputComponent {
  return component.type === 'text' || component.type === 'email';
}

/** A limit as a number, or undefined for "no limit". */
export function lengthLimit(value: number | string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  return typeof value === 'number' ? value : Number.parseInt(value, 10);
}

// Compiled on the first check, not when the server loads this module (start-up time).
let validators: { topLevel: ValidateFunction; perType: Record<string, ValidateFunction> } | undefined;
function formValidators(): { topLevel: ValidateFunction; perType: Record<string, ValidateFunction> } {
  if (validators) return validators;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const topLevel = ajv.compile({
    ...FormDocumentSchema,
    properties: { ...FormDocumentSchema.properties, components: { type: 'array', maxItems: 100, items: { type: 'object' } } },
  });
  const perType: Record<string, ValidateFunction> = Object.fromEntries(Object.entries(COMPONENT_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)]));
  return (validators = { topLevel, perType });
}

function problemsOf(errors: ErrorObject[] | null | undefined, prefix: string): FieldProblem[] {
  return (errors ?? []).map((e) => {
    let pointer = e.instancePath;
    if (e.keyword === 'required') pointer += `/${String(e.params.missingProperty)}`;
    if (e.keyword === 'additionalProperties') pointer += `/${String(e.params.additionalProperty)}`;
    const field = [prefix, pointer.replace(/^\//, '').replaceAll('/', '.')].filter((p) => p !== '').join('.') || 'form';
    let message = e.message ?? 'is not valid';
    if (e.keyword === 'required') message = 'is required';
    if (e.keyword === 'additionalProperties') message = 'is not a known field';
    if (e.keyword === 'const') message = `must be ${JSON.stringify(e.params.allowedValue)}`;
    return { field, message };
  });
}

/**
 * Checks a form document: its shape (each component against the schema of its own type, so a
 * mistake is reported at its exact path rather than as “matches no alternative”), then the rules a
 * schema cannot say: unique ids and indexes, minLength ≤ maxLength, a default within the limits,
 * a read-only required field that has a value, and at most one button. Answers every problem found.
 */
export function checkFormDocument(document: unknown): FieldProblem[] {
  const { topLevel, perType } = formValidators();
  if (!topLevel(document)) return problemsOf(topLevel.errors, 'form');
  const form = document as { components?: Record<string, unknown>[]; submitButton?: unknown; continueButton?: unknown };
  const problems: FieldProblem[] = [];
  (form.components ?? []).forEach((component, index) => {
    const type = component.type;
    const validate = typeof type === 'string' ? perType[type] : undefined;
    if (!validate) {
      problems.push({ field: `form.components.${index}.type`, message: `must be one of ${COMPONENT_TYPES.join(', ')}` });
    } else if (!validate(component)) {
      problems.push(...problemsOf(validate.errors, `form.components.${index}`));
    }
  });
  if (problems.length > 0) return problems;

  const components = (document as FormDocument).components ?? [];
  const ids = new Map<string, number>();
  const indexes = new Map<number, number>();
  components.forEach((component, at) => {
    const path = `form.components.${at}`;
    if (RESERVED_IDS.has(component.id)) problems.push({ field: `${path}.id`, message: `${component.id} is reserved` });
    const sameId = ids.get(component.id);
    if (sameId !== undefined) problems.push({ field: `${path}.id`, message: `${component.id} is also the id of component ${sameId}; ids must be unique` });
    ids.set(component.id, at);
    const sameIndex = indexes.get(component.index);
    if (sameIndex !== undefined)
      problems.push({
        field: `${path}.index`,
        message: `${component.index} is also the index of component ${sameIndex}; indexes order the form and must be unique`,
      });
    indexes.set(component.index, at);
    if (!isInput(component)) return;
    const min = lengthLimit(component.validate?.minLength);
    const max = lengthLimit(component.validate?.maxLength);
    if (min !== undefined && max !== undefined && min > max)
      problems.push({ field: `${path}.validate.minLength`, message: `${min} is more than maxLength ${max}` });
    if (max !== undefined && max === 0) problems.push({ field: `${path}.validate.maxLength`, message: 'must be at least 1, or "" for no limit' });
    const fallback = component.default ?? '';
    if (max !== undefined && fallback.length > max) problems.push({ field: `${path}.default`, message: `is longer than maxLength ${max}` });
    if (component.readOnly && component.validate?.required && fallback.trim() === '') {
      problems.push({ field: `${path}.default`, message: 'a read-only required field needs a default, or nobody can ever submit the form' });
    }
  });
  if (form.submitButton !== undefined && form.continueButton !== undefined)
    problems.push({ field: 'form.continueButton', message: 'give either submitButton or continueButton, not both' });
  return problems;
}
