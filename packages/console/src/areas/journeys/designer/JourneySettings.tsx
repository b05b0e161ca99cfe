// The side panel when no step is selected: the journey's own settings (name, store, first step, who may start it)
// and its declared variables (the names `${…}` expressions read besides the engine's and the steps').
import { useState } from 'react';
import { useT } from '../../../i18n/i18n.tsx';
import { useStores } from '../../../shell/current-store.tsx';
import { Button, Checkbox, SelectField, TextField } from '../../../ui/controls.tsx';
import { ENGINE_VARIABLES, type JourneyDefinition } from './journey-model.ts';
import { fromText } from './parameter-values.ts';

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const VARIABLE_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'any'] as const;

export function JourneySettings({
  definition,
  apply,
  isReadOnly,
}: {
  definition: JourneyDefinition;
  apply(next: JourneyDefinition, group?: string): void;
  isReadOnly: boolean;
}) {
  const t = useT();
  const stores = useStores().data?.items ?? [];
  const [variable, setVariable] = useState('');
  const variables = definition.variables ?? {};
  const variableError =
    variable && (!VARIABLE_NAME.test(variable) || ENGINE_VARIABLES.includes(variable) || variable in variables) ? t('designer.invalidVariable') : undefined;
  const storeOptions = [...new Set([definition.store, ...stores.map((s) => s.name)])].filter(Boolean).map((name) => ({ id: name, label: name }));
  const access = definition.access ?? {};
  const withVariables = (next: Record<string, { type?: string; description?: string; default?: unknown }>) => {
    const { variables: _old, ...rest } = definition;
    return Object.keys(next).length > 0 ? { ...rest, variables: next } : (rest as JourneyDefinition);
  };
  return (
    <section className="panel designer-panel" aria-labelledby="designer-settings-title">
      <h2 id="designer-settings-title">{t('designer.settings')}</h2>
      <p className="muted">{t('designer.settingsHelp')}</p>
      <TextField
        label={t('common.name')}
        value={definition.name ?? ''}
        isReadOnly={isReadOnly}
        onChange={(name) => {
          const { name: _old, ...rest } = definition;
          apply(name ? { ...rest, name } : (rest as JourneyDefinition), 'journey-name');
        }}
      />
      {storeOptions.length > 0 ? (
        <SelectField label={t('shell.store')} value={definition.store} onChange={(store) => apply({ ...definition, store })} options={storeOptions} />
      ) : null}
      {definition.steps.length > 0 ? (
        <SelectField
          label={t('designer.startStep')}
          value={definition.start}
          onChange={(start) => apply({ ...definition, start })}
          options={definition.steps.map((s) => ({ id: s.id, label: `${s.title || s.id} (${s.id})` }))}
        />
      ) : null}
      <Checkbox isSelected={access.public === true} onChange={(value) => apply({ ...definition, access: { ...access, public: value } })}>
        {t('designer.publicAccess')}
      </Checkbox>
      <Checkbox isSelected={access.apiClients !== false} onChange={(value) => apply({ ...definition, access: { ...access, apiClients: value } })}>
        {t('designer.apiClientAccess')}
      </Checkbox>
      <h3 className="subheading">{t('designer.variables')}</h3>
      <ul className="plain-list designer-variables">
        {Object.entries(variables).map(([name, declaration]) => (
          <li key={name}>
            <span className="mono">{name}</span>
            <SelectField
              label={t('designer.variableType', { name })}
              value={declaration.type ?? 'any'}
              onChange={(type) => apply(withVariables({ ...variables, [name]: { ...declaration, type } }))}
              options={VARIABLE_TYPES.map((id) => ({ id, label: id }))}
            />
            <TextField
              label={t('designer.variableDefault', { name })}
              value={
                typeof declaration.default === 'string' ? declaration.default : declaration.default === undefined ? '' : JSON.stringify(declaration.default)
              }
              isReadOnly={isReadOnly}
              onChange={(value) => {
                const { default: _old, ...rest } = declaration;
                // Typed by the declaration: "0" for an integer is 0 (fromText keeps text that is not of the type).
                const typed = fromText(value, { type: declaration.type ?? 'string' });
                apply(withVariables({ ...variables, [name]: typed === undefined ? rest : { ...rest, default: typed } }), `default:${name}`);
              }}
            />
            {!isReadOnly ? (
              <Button variant="quiet" onPress={() => apply(withVariables(Object.fromEntries(Object.entries(variables).filter(([n]) => n !== name))))}>
                {t('designer.remove')} <span className="visually-hidden">{t('designer.variableNamed', { name })}</span>
              </Button>
            ) : null}
          </li>
        ))}
      </ul>
      {!isReadOnly ? (
        <form
          className="designer-inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!variable || variableError) return;
            apply(withVariables({ ...variables, [variable]: { type: 'string' } }));
            setVariable('');
          }}
        >
          <TextField label={t('designer.newVariable')} value={variable} onChange={setVariable} error={variableError} />
          <Button type="submit" isDisabled={!variable || variableError !== undefined}>
            {t('designer.addVariable')}
          </Button>
        </form>
      ) : null}
    </section>
  );
}
