// What a custom form will look like, drawn from its JSON as the operator types: title, fields with
// their labels in the console's language (English as fallback), buttons. Inert: nothing submits.
import { useId } from 'react';

interface Texts {
  values?: Record<string, string>;
}
interface Component {
  type?: string;
  id?: string;
  label?: Texts;
  placeholder?: Texts;
  text?: Texts;
  index?: number;
  validate?: { required?: boolean };
}

function pick(texts: Texts | undefined, locale: string): string {
  const values = texts?.values ?? {};
  return values[locale] || values.en || Object.values(values)[0] || '';
}

export function FormPreview({ form, locale }: { form: unknown; locale: string }) {
  const prefix = useId();
  if (!form || typeof form !== 'object') return null;
  const { title, components } = form as { title?: Texts; components?: Component[] };
  const sorted = [...(Array.isArray(components) ? components : [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  return (
    <div className="form-preview" inert>
      <h3>{pick(title, locale)}</h3>
      {sorted.map((c, i) => {
        const id = `${prefix}-${i}`;
        switch (c.type) {
          case 'text':
          case 'email':
            return (
              <div key={id} className="field">
                <label htmlFor={id}>
                  {pick(c.label, locale)}
                  {c.validate?.required ? ' *' : ''}
                </label>
                <input id={id} type={c.type} placeholder={pick(c.placeholder, locale)} readOnly />
              </div>
            );
          case 'paragraph':
            return <p key={id}>{pick(c.text ?? c.label, locale)}</p>;
          case 'submitButton':
          case 'continueButton':
            return (
              <button key={id} type="button" className="button button-primary">
                {pick(c.label, locale) || 'Continue'}
              </button>
            );
          default:
            return (
              <p key={id} className="muted">
                {c.type ?? '?'}: {c.id}
              </p>
            );
        }
      })}
    </div>
  );
}
