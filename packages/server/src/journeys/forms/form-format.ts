import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ABSOLUTE_MAX_LENGTH, checkJourneyValue, fieldPattern, isCalendarDate, JOURNEY_INPUT_TYPES } from '../../../../web/src/journey-forms.ts';
import { compileJourneyPattern } from '../../../../web/src/journey-pattern.ts';
import type { FieldProblem } from '../../errors/keyway-error.ts';
import { fieldRules, lengthLimit, validateOf } from './form-rules.ts';

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

const requiredRule = { required: Type.Optional(Type.Boolean()) };
const missingAndInvalid = { missingMessage: Type.Optional(LocalizedText), invalidMessage: Type.Optional(LocalizedText) };

const Validate = Type.Object(
  {
    ...requiredRule,
    minLength: Type.Optional(LengthLimit),
    maxLength: Type.Optional(LengthLimit),
    ...missingAndInvalid,
    invalidLengthMessage: Type.Optional(LocalizedText),
  },
  { additionalProperties: false },
);

const TextValidate = Type.Object(
  {
    ...Validate.properties,
    pattern: Type.Optional(
      Type.String({ maxLength: 1024, description: 'The whole value must match, as the HTML pattern attribute (JavaScript syntax, v flag); "" for none' }),
    ),
  },
  { additionalProperties: false },
);

/** select, radio, checkbox, phone: required or not, and the value must be what the type takes. */
const ChoiceValidate = Type.Object({ ...requiredRule, ...missingAndInvalid }, { additionalProperties: false });

/** A number limit: a number, a decimal number as a string, or "" for none. */
const NumberLimit = Type.Union([Type.Number(), Type.String({ pattern: '^(?:|-?[0-9]{1,15}(?:\\.[0-9]{1,15})?)$' })]);
/** A date limit: YYYY-MM-DD (inclusive), or "" for none. */
const DateLimit = Type.String({ pattern: '^(?:|[0-9]{4}-[0-9]{2}-[0-9]{2})$', description: 'YYYY-MM-DD, inclusive; "" for none' });
const rangeMessages = { ...missingAndInvalid, outOfRangeMessage: Type.Optional(LocalizedText) };
const NumberValidate = Type.Object(
  { ...requiredRule, min: Type.Optional(NumberLimit), max: Type.Optional(NumberLimit), ...rangeMessages },
  { additionalProperties: false },
);
const DateValidate = Type.Object(
  { ...requiredRule, min: Type.Optional(DateLimit), max: Type.Optional(DateLimit), ...rangeMessages },
  { additionalProperties: false },
);

/** Option values are what the form outputs: printable, no control characters. */
const OPTION_VALUE_PATTERN = '^[^\\p{Cc}]{1,256}$';
const Option = Type.Object(
  { value: Type.String({ pattern: OPTION_VALUE_PATTERN, description: 'What the form outputs when this option is chosen' }), label: LocalizedText },
  { additionalProperties: false },
);
const Options = Type.Array(Option, { minItems: 1, maxItems: 200, description: 'The choices, in the order shown; values unique' });

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

export const TextComponent = Type.Object(
  { type: Type.Literal('text'), ...inputFields, validate: Type.Optional(TextValidate) },
  { additionalProperties: false },
);
export const EmailComponent = Type.Object(
  { type: Type.Literal('email'), ...inputFields },
  { additionalProperties: false, description: 'A text field that must hold an e-mail address (invalidMessage otherwise)' },
);
export const SelectComponent = Type.Object(
  { type: Type.Literal('select'), ...inputFields, options: Options, validate: Type.Optional(ChoiceValidate) },
  { additionalProperties: false, description: 'A drop-down list: the value must be one of the options (invalidMessage otherwise)' },
);
export const RadioComponent = Type.Object(
  { type: Type.Literal('radio'), ...inputFields, options: Options, validate: Type.Optional(ChoiceValidate) },
  { additionalProperties: false, description: 'A group of radio buttons: the value must be one of the options' },
);
export const CheckboxComponent = Type.Object(
  {
    type: Type.Literal('checkbox'),
    ...inputFields,
    default: Type.Optional(Type.Union([Type.Literal(''), Type.Literal('true'), Type.Literal('false')])),
    validate: Type.Optional(ChoiceValidate),
  },
  { additionalProperties: false, description: 'One box to tick: outputs "true" or "false"; required means it must be ticked' },
);
export const DateComponent = Type.Object(
  { type: Type.Literal('date'), ...inputFields, validate: Type.Optional(DateValidate) },
  { additionalProperties: false, description: 'A calendar day, YYYY-MM-DD, optionally within min and max (outOfRangeMessage otherwise)' },
);
export const PhoneComponent = Type.Object(
  { type: Type.Literal('phone'), ...inputFields, validate: Type.Optional(ChoiceValidate) },
  { additionalProperties: false, description: 'A phone number in international (E.164) format; stored without spaces, e.g. +49301234567' },
);
export const NumberComponent = Type.Object(
  { type: Type.Literal('number'), ...inputFields, validate: Type.Optional(NumberValidate) },
  { additionalProperties: false, description: 'A decimal number, optionally within min and max (outOfRangeMessage otherwise)' },
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
/** The hosted pages load images from data: URLs only (their Content-Security-Policy), and never SVG (it can carry script). */
export const IMAGE_SOURCE_PATTERN = '^data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$';
export const ImageComponent = Type.Object(
  {
    type: Type.Literal('image'),
    isValid: Type.Optional(Type.Boolean()),
    id: ComponentId,
    label: Type.Optional(LocalizedText),
    src: Type.String({ pattern: IMAGE_SOURCE_PATTERN, maxLength: 400_000, description: 'A data: URL of a PNG, JPEG, GIF or WebP image (at most ~300 kB)' }),
    alt: Type.Optional(LocalizedText),
    index: Type.Integer({ minimum: 0, maximum: 10_000 }),
  },
  { additionalProperties: false, description: 'A picture; alt is its text alternative (absent or empty: decorative)' },
);
export const NotificationComponent = Type.Object(
  {
    type: Type.Literal('notification'),
    isValid: Type.Optional(Type.Boolean()),
    id: ComponentId,
    label: LocalizedText,
    severity: Type.Optional(Type.Union([Type.Literal('info'), Type.Literal('success'), Type.Literal('warning'), Type.Literal('error')])),
    values: Type.Record(Type.String({ pattern: LANGUAGE_TAG_PATTERN }), Type.String({ maxLength: 16_384 }), {
      maxProperties: 64,
      description: 'The message per language',
    }),
    index: Type.Integer({ minimum: 0, maximum: 10_000 }),
  },
  { additionalProperties: false, description: 'A highlighted message (info by default), shown and never submitted' },
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

const COMPONENT_SCHEMAS: Record<string, TSchema> = {
  text: TextComponent,
  email: EmailComponent,
  select: SelectComponent,
  radio: RadioComponent,
  checkbox: CheckboxComponent,
  date: DateComponent,
  phone: PhoneComponent,
  number: NumberComponent,
  paragraph: ParagraphComponent,
  image: ImageComponent,
  notification: NotificationComponent,
};
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
      Type.Array(
        Type.Union([
          TextComponent,
          EmailComponent,
          SelectComponent,
          RadioComponent,
          CheckboxComponent,
          DateComponent,
          PhoneComponent,
          NumberComponent,
          ParagraphComponent,
          ImageComponent,
          NotificationComponent,
        ]),
        {
          maxItems: 100,
          description: 'Absent: a form with only a title (and its button)',
        },
      ),
    ),
    submitButton: Type.Optional(Button('submitButton')),
    continueButton: Type.Optional(Button('continueButton')),
  },
  { additionalProperties: false, description: 'A custom form in the format of TrustX Custom Data Forms' },
);

export type TextComponent = Static<typeof TextComponent>;
export type EmailComponent = Static<typeof EmailComponent>;
export type SelectComponent = Static<typeof SelectComponent>;
export type RadioComponent = Static<typeof RadioComponent>;
export type CheckboxComponent = Static<typeof CheckboxComponent>;
export type DateComponent = Static<typeof DateComponent>;
export type PhoneComponent = Static<typeof PhoneComponent>;
export type NumberComponent = Static<typeof NumberComponent>;
export type InputComponent =
  TextComponent | EmailComponent | SelectComponent | RadioComponent | CheckboxComponent | DateComponent | PhoneComponent | NumberComponent;
export type ParagraphComponent = Static<typeof ParagraphComponent>;
export type ImageComponent = Static<typeof ImageComponent>;
export type NotificationComponent = Static<typeof NotificationComponent>;
export type FormComponent = InputComponent | ParagraphComponent | ImageComponent | NotificationComponent;
export type FormDocument = Static<typeof FormDocumentSchema>;

export function isInput(component: FormComponent): component is InputComponent {
  return (JOURNEY_INPUT_TYPES as readonly string[]).includes(component.type);
}

export { lengthLimit };

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
  let patternSteps = 0;
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
    const lengths = validateOf(component);
    const min = lengthLimit(lengths.minLength);
    const max = lengthLimit(lengths.maxLength);
    if (min !== undefined && max !== undefined && min > max)
      problems.push({ field: `${path}.validate.minLength`, message: `${min} is more than maxLength ${max}` });
    if (max !== undefined && max === 0) problems.push({ field: `${path}.validate.maxLength`, message: 'must be at least 1, or "" for no limit' });
    const fallback = component.default ?? '';
    if (max !== undefined && fallback.length > max) problems.push({ field: `${path}.default`, message: `is longer than maxLength ${max}` });
    problems.push(...checkTypeRules(component, path));
    const steps = patternStepsOf(component, max ?? ABSOLUTE_MAX_LENGTH);
    patternSteps += steps;
    if (steps > 0 && patternSteps > FORM_PATTERN_STEPS) {
      const cost = `takes up to ${steps} steps per value (its states times the characters it reads, at most maxLength, ${ABSOLUTE_MAX_LENGTH} when unset)`;
      const over =
        steps === patternSteps ? `more than the ${FORM_PATTERN_STEPS}` : `bringing the form's patterns to ${patternSteps}, more than the ${FORM_PATTERN_STEPS}`;
      problems.push({
        field: `${path}.validate.pattern`,
        message: `${cost}, ${over} a form's patterns may take together: set a lower validate.maxLength or simplify the pattern`,
      });
    }
    const rules = fieldRules(component);
    const defaultBreach = checkJourneyValue({ ...rules, readOnly: false }, fallback).code;
    if (component.readOnly && component.validate?.required && defaultBreach === 'missing') {
      problems.push({ field: `${path}.default`, message: 'a read-only required field needs a default, or nobody can ever submit the form' });
    }
    if (component.type !== 'text' && component.type !== 'email' && defaultBreach !== undefined && defaultBreach !== 'missing')
      problems.push({ field: `${path}.default`, message: `breaks the field's own rules (${defaultBreach})` });
  });
  if (form.submitButton !== undefined && form.continueButton !== undefined)
    problems.push({ field: 'form.continueButton', message: 'give either submitButton or continueButton, not both' });
  return problems;
}

/**
 * What one submission may cost the server in pattern matching, over all the form's text fields: a pattern does
 * O(states) work per character (journey-pattern.ts), so states × characters: some 20–40 ms at this bound.
 * Without it a linear pattern could still be slow: 1000 states over a 100,000-character maxLength.
 */
export const FORM_PATTERN_STEPS = 1_000_000;

/** The most work the field's pattern can do on one value: its states × the characters it reads (the value stops at maxLength, the match at its longest). */
function patternStepsOf(component: InputComponent, maxLength: number): number {
  if (component.type !== 'text' || !component.validate?.pattern) return 0;
  const pattern = fieldPattern(component.validate.pattern);
  return pattern === undefined ? 0 : pattern.states * Math.min(maxLength, pattern.longest + 1);
}

/** The rules of the newer element types a schema cannot say: a pattern forms can use, unique options, ranges in order. */
function checkTypeRules(component: InputComponent, path: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (component.type === 'text' && component.validate?.pattern) {
    // Lookarounds, backreferences, too large an expansion…: what `checkJourneyValue` could only refuse every value with.
    const { problem } = compileJourneyPattern(component.validate.pattern);
    if (problem !== undefined) problems.push({ field: `${path}.validate.pattern`, message: problem });
  }
  if (component.type === 'select' || component.type === 'radio') {
    const seen = new Set<string>();
    component.options.forEach((option, at) => {
      if (seen.has(option.value))
        problems.push({ field: `${path}.options.${at}.value`, message: `${option.value} is also the value of another option; values must be unique` });
      seen.add(option.value);
    });
  }
  if (component.type === 'number' || component.type === 'date') {
    const { min, max } = fieldRules(component);
    if (component.type === 'date') {
      if (min !== undefined && !isCalendarDate(min)) problems.push({ field: `${path}.validate.min`, message: 'is not a calendar date' });
      if (max !== undefined && !isCalendarDate(max)) problems.push({ field: `${path}.validate.max`, message: 'is not a calendar date' });
    }
    const inOrder = component.type === 'date' ? (min ?? '') <= (max ?? '') : Number(min) <= Number(max);
    if (min !== undefined && max !== undefined && !inOrder) problems.push({ field: `${path}.validate.min`, message: `${min} is more than max ${max}` });
  }
  return problems;
}
