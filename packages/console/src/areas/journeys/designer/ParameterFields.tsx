// A step's parameters as form fields generated from its type's JSON Schema: an enum is a select, an object a JSON
// text, anything else a text field that takes a literal (typed by the schema: "300" for an integer is 300) or a
// `${…}` CEL expression. The server checks the expressions as you type (the validation report's pointers land on
// the fields); the variables in scope are offered as suggestions.
import { useEffect, useId, useState } from 'react';
import { FieldError, Input, Label, Text, TextArea, TextField as AriaTextField } from 'react-aria-components';
import { useT } from '../../../i18n/i18n.tsx';
import { SelectField } from '../../../ui/controls.tsx';
import { fromText, toText, typesOf, type PropertySchema } from './parameter-values.ts';

interface ObjectSchema {
  properties?: Record<string, PropertySchema>;
  required?: string[];
}

interface ParameterFieldsProps {
  stepId: string;
  schema: unknown;
  parameters: Record<string, unknown>;
  onChange(name: string, value: unknown): void;
  /** Field errors from the server's validation report, by parameter name. */
  errors: ReadonlyMap<string, string>;
  scope: string[];
  isReadOnly: boolean;
}

export function ParameterFields({ stepId, schema, parameters, onChange, errors, scope, isReadOnly }: ParameterFieldsProps) {
  const t = useT();
  const listId = useId();
  const object = (schema ?? {}) as ObjectSchema;
  const required = new Set(object.required ?? []);
  const entries = Object.entries(object.properties ?? {});
  if (entries.length === 0) return <p className="muted">{t('designer.noParameters')}</p>;
  return (
    <div className="stack">
      <datalist id={listId}>
        {scope.map((name) => (
          <option key={name} value={`\${${name}}`} />
        ))}
      </datalist>
      <p className="field-help">{t('designer.scope', { names: scope.join(', ') })}</p>
      {entries.map(([name, property]) => {
        const label = `${name}${required.has(name) ? ' *' : ''}`;
        const error = errors.get(name);
        if (property.enum && !property.enum.some((v) => typeof v !== 'string')) {
          const options = [{ id: '', label: t('designer.notSet') }, ...property.enum.filter((v) => v !== '').map((v) => ({ id: String(v), label: String(v) }))];
          return (
            <SelectField
              key={`${stepId}/${name}`}
              label={label}
              value={toText(parameters[name])}
              onChange={(v) => onChange(name, v === '' ? undefined : v)}
              options={options}
              description={property.description}
              error={error}
            />
          );
        }
        return (
          <ParameterText
            key={`${stepId}/${name}`}
            label={label}
            multiline={typesOf(property).includes('object')}
            value={parameters[name]}
            onChange={(v) => onChange(name, v)}
            description={property.description}
            error={error}
            listId={listId}
            property={property}
            isReadOnly={isReadOnly}
          />
        );
      })}
    </div>
  );
}

function ParameterText(props: {
  label: string;
  multiline: boolean;
  value: unknown;
  onChange(value: unknown): void;
  description: string | undefined;
  error: string | undefined;
  listId: string;
  property: PropertySchema;
  isReadOnly: boolean;
}) {
  const t = useT();
  const { value, multiline, property } = props;
  const shown = multiline && value !== undefined && typeof value === 'object' ? JSON.stringify(value, null, 2) : toText(value);
  const [text, setText] = useState(shown);
  const [jsonError, setJsonError] = useState<string | undefined>();
  // Follow the document when it changes elsewhere (undo, the JSON view), not while this field's own text parses to it.
  useEffect(() => {
    setText((current) => (JSON.stringify(parse(current)) === JSON.stringify(value) ? current : shown));
  }, [shown]);
  function parse(current: string): unknown {
    if (multiline && current.trim().startsWith('{')) {
      try {
        return JSON.parse(current) as unknown;
      } catch {
        return undefined;
      }
    }
    return fromText(current, property);
  }
  const change = (next: string) => {
    setText(next);
    if (multiline && next.trim().startsWith('{')) {
      try {
        props.onChange(JSON.parse(next) as unknown);
        setJsonError(undefined);
      } catch (e) {
        setJsonError(t('content.invalidJson', { message: e instanceof Error ? e.message : String(e) }));
      }
      return;
    }
    setJsonError(undefined);
    props.onChange(fromText(next, property));
  };
  const error = jsonError ?? props.error;
  return (
    <AriaTextField className="field" value={text} onChange={change} isInvalid={error !== undefined} validationBehavior="aria" isReadOnly={props.isReadOnly}>
      <Label className="mono">{props.label}</Label>
      {multiline ? <TextArea rows={4} spellCheck={false} /> : <Input spellCheck={false} list={props.listId} autoComplete="off" />}
      {props.description ? <Text slot="description">{props.description}</Text> : null}
      <FieldError>{error}</FieldError>
    </AriaTextField>
  );
}
