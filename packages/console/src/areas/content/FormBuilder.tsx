// The form builder: the form's elements in order (drag by the handle, or Move up / Move down with the keyboard),
// add and remove them, and the selected one's settings — label, validation rules and messages — in the language
// chosen. Every edit rewrites the JSON the editor beside shows (one document, form-builder-model.ts).
import { useState } from 'react';
import { Button as AriaButton, GridList, GridListItem, useDragAndDrop } from 'react-aria-components';
import { useI18n } from '../../i18n/i18n.tsx';
import type { MessageKey } from '../../i18n/en.ts';
import { Button, Checkbox, SelectField, TextField } from '../../ui/controls.tsx';
import {
  addComponent,
  buttonText,
  ELEMENT_TYPES,
  INPUT_TYPES,
  moveComponent,
  ordered,
  removeComponent,
  textIn,
  updateComponent,
  withRule,
  withText,
  withButtonText,
  withTitle,
  type BuilderComponent,
  type BuilderForm,
  type ElementType,
} from './form-builder-model.ts';

const LANGUAGES = [
  { id: 'en', label: 'English' },
  { id: 'de', label: 'Deutsch' },
] as const;

export function FormBuilder({
  form,
  onChange,
  language,
  onLanguageChange,
  isReadOnly,
}: {
  form: BuilderForm;
  onChange(next: BuilderForm): void;
  language: string;
  onLanguageChange(language: 'en' | 'de'): void;
  isReadOnly: boolean;
}) {
  const { t } = useI18n();
  const [type, setType] = useState<ElementType>('text');
  const [selected, setSelected] = useState<number | undefined>();
  const [announcement, setAnnouncement] = useState('');
  const list = ordered(form);
  const typeName = (component: BuilderComponent) =>
    ELEMENT_TYPES.includes(component.type as ElementType) ? t(`formBuilder.type.${component.type}` as MessageKey) : component.type;
  const nameOf = (component: BuilderComponent) => `${typeName(component)} ${textIn(component.label, language) || component.id}`;
  const move = (from: number, to: number) => {
    if (to < 0 || to >= list.length) return;
    onChange(moveComponent(form, from, to));
    setSelected(to);
    setAnnouncement(t('formBuilder.moved', { name: nameOf(list[from]!), position: to + 1 }));
  };
  const { dragAndDropHooks } = useDragAndDrop({
    getItems: (keys) => [...keys].map((key) => ({ 'text/plain': String(key) })),
    onReorder(event) {
      const from = Number([...event.keys][0]);
      const target = Number(event.target.key);
      let to = event.target.dropPosition === 'after' ? target + 1 : target;
      if (from < to) to -= 1;
      move(from, to);
    },
    isDisabled: isReadOnly,
  });
  const current = selected !== undefined ? list[selected] : undefined;

  return (
    <section className="panel form-builder" aria-labelledby="builder-title">
      <h2 id="builder-title">{t('formBuilder.title')}</h2>
      <div className="builder-row">
        <SelectField label={t('formBuilder.language')} value={language as 'en' | 'de'} onChange={onLanguageChange} options={LANGUAGES} />
        <TextField
          label={t('formBuilder.formTitle')}
          value={form.title?.values?.[language] ?? ''}
          onChange={(text) => onChange(withTitle(form, language, text))}
          isReadOnly={isReadOnly}
        />
        <TextField
          label={t('formBuilder.buttonText')}
          value={buttonText(form, language)}
          onChange={(text) => onChange(withButtonText(form, language, text))}
          isReadOnly={isReadOnly}
        />
      </div>
      {isReadOnly ? null : (
        <div className="builder-row builder-add">
          <SelectField
            label={t('formBuilder.elementType')}
            value={type}
            onChange={(next) => setType(next as ElementType)}
            options={ELEMENT_TYPES.map((id) => ({ id, label: t(`formBuilder.type.${id}` as MessageKey) }))}
          />
          <Button
            onPress={() => {
              const added = addComponent(form, type, language);
              onChange(added.form);
              setSelected(added.at);
            }}
          >
            {t('formBuilder.add')}
          </Button>
        </div>
      )}
      <h3 className="subheading" id="elements-title">
        {t('formBuilder.elements')}
      </h3>
      <p className="field-help" id="elements-help">
        {t('formBuilder.elementsHelp')}
      </p>
      <GridList
        aria-labelledby="elements-title"
        aria-describedby="elements-help"
        className="builder-list"
        selectionMode="single"
        selectionBehavior="replace"
        selectedKeys={selected === undefined ? [] : [String(selected)]}
        onSelectionChange={(keys) => {
          const key = keys === 'all' ? undefined : [...keys][0];
          setSelected(key === undefined ? undefined : Number(key));
        }}
        dragAndDropHooks={dragAndDropHooks}
        renderEmptyState={() => <p className="muted">{t('formBuilder.empty')}</p>}
      >
        {list.map((component, at) => (
          <GridListItem key={at} id={String(at)} textValue={nameOf(component)} className="builder-item">
            {isReadOnly ? null : (
              <AriaButton slot="drag" className="drag-handle" aria-label={t('formBuilder.drag', { name: nameOf(component) })}>
                <span aria-hidden="true">⠿</span>
              </AriaButton>
            )}
            <span className="builder-item-name">
              <span className="badge">{typeName(component)}</span> {textIn(component.label, language) || component.id}
            </span>
            {isReadOnly ? null : (
              <span className="builder-item-actions">
                <Button variant="quiet" isDisabled={at === 0} onPress={() => move(at, at - 1)} aria-label={`${t('formBuilder.moveUp')}: ${nameOf(component)}`}>
                  ↑
                </Button>
                <Button
                  variant="quiet"
                  isDisabled={at === list.length - 1}
                  onPress={() => move(at, at + 1)}
                  aria-label={`${t('formBuilder.moveDown')}: ${nameOf(component)}`}
                >
                  ↓
                </Button>
                <Button
                  variant="quiet"
                  onPress={() => {
                    onChange(removeComponent(form, at));
                    setSelected(undefined);
                  }}
                  aria-label={`${t('formBuilder.remove')}: ${nameOf(component)}`}
                >
                  ✕
                </Button>
              </span>
            )}
          </GridListItem>
        ))}
      </GridList>
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      {current && selected !== undefined ? (
        <ComponentSettings
          key={`${selected}-${current.type}`}
          component={current}
          title={t('formBuilder.settings', { name: nameOf(current) })}
          language={language}
          isReadOnly={isReadOnly}
          onChange={(next) => onChange(updateComponent(form, selected, next))}
        />
      ) : (
        <p className="muted">{t('formBuilder.noSelection')}</p>
      )}
    </section>
  );
}

function ComponentSettings({
  component,
  title,
  language,
  isReadOnly,
  onChange,
}: {
  component: BuilderComponent;
  title: string;
  language: string;
  isReadOnly: boolean;
  onChange(next: BuilderComponent): void;
}) {
  const { t } = useI18n();
  const isInput = INPUT_TYPES.includes(component.type);
  const rule = (name: string) => {
    const value = component.validate?.[name];
    return value === undefined || value === null ? '' : String(value);
  };
  const setRule = (name: string, numeric: boolean) => (text: string) =>
    onChange(withRule(component, name, numeric && /^-?[0-9]+(?:\.[0-9]+)?$/.test(text.trim()) ? Number(text.trim()) : text));
  const message = (name: string) => {
    const localized = component.validate?.[name] as { values?: Record<string, string> } | undefined;
    return (
      <TextField
        key={name}
        label={t(`formBuilder.${name}` as MessageKey)}
        value={textIn(localized, language)}
        onChange={(text) => onChange(withRule(component, name, withText(localized as never, language, text)))}
        isReadOnly={isReadOnly}
      />
    );
  };
  const localizedField = (member: 'label' | 'placeholder' | 'alt', label: string) => (
    <TextField
      label={label}
      value={textIn(component[member] as never, language)}
      onChange={(text) => onChange({ ...component, [member]: withText(component[member] as never, language, text) })}
      isReadOnly={isReadOnly}
    />
  );
  const hasLengths = component.type === 'text' || component.type === 'email';
  const hasRange = component.type === 'number' || component.type === 'date';
  const options = component.options ?? [];
  const setOption = (at: number, next: { value: string; label: { values: Record<string, string> } } | undefined) => {
    const list = [...options];
    if (next) list[at] = next;
    else list.splice(at, 1);
    onChange({ ...component, options: list });
  };

  return (
    <fieldset className="builder-settings" disabled={isReadOnly}>
      <legend>{title}</legend>
      <TextField
        label={t('formBuilder.id')}
        value={component.id}
        onChange={(id) => onChange({ ...component, id })}
        isReadOnly={isReadOnly}
        spellCheck={false}
      />
      {component.type === 'image' ? (
        <>
          {localizedField('alt', t('formBuilder.alt'))}
          <div className="field">
            <label htmlFor="builder-image-file">{t('formBuilder.image')}</label>
            <input
              id="builder-image-file"
              type="file"
              accept="image/png,image/jpeg,image/gif,image/webp"
              onChange={(event) => {
                const file = event.target.files?.[0];
                if (!file) return;
                const reader = new FileReader();
                reader.onload = () => onChange({ ...component, src: String(reader.result) });
                reader.readAsDataURL(file);
              }}
            />
          </div>
        </>
      ) : (
        localizedField('label', t('formBuilder.label'))
      )}
      {component.type === 'paragraph' || component.type === 'notification' ? (
        <TextField
          label={t('formBuilder.text')}
          multiline
          rows={3}
          value={component.values?.[language] ?? ''}
          onChange={(text) => onChange({ ...component, values: { ...(component.values ?? {}), [language]: text } })}
          isReadOnly={isReadOnly}
        />
      ) : null}
      {component.type === 'notification' ? (
        <SelectField
          label={t('formBuilder.severity')}
          value={(component.severity as 'info' | 'success' | 'warning' | 'error' | undefined) ?? 'info'}
          onChange={(severity) => onChange({ ...component, severity })}
          options={(['info', 'success', 'warning', 'error'] as const).map((id) => ({ id, label: t(`formBuilder.severity.${id}`) }))}
        />
      ) : null}
      {isInput && component.type !== 'select' && component.type !== 'radio' && component.type !== 'checkbox'
        ? localizedField('placeholder', t('formBuilder.placeholder'))
        : null}
      {isInput ? (
        <Checkbox isSelected={component.validate?.required === true} onChange={(required) => onChange(withRule(component, 'required', required))}>
          {t('formBuilder.required')}
        </Checkbox>
      ) : null}
      {hasLengths ? (
        <div className="builder-row">
          <TextField label={t('formBuilder.minLength')} value={rule('minLength')} onChange={setRule('minLength', true)} isReadOnly={isReadOnly} />
          <TextField label={t('formBuilder.maxLength')} value={rule('maxLength')} onChange={setRule('maxLength', true)} isReadOnly={isReadOnly} />
        </div>
      ) : null}
      {component.type === 'text' ? (
        <TextField label={t('formBuilder.pattern')} value={rule('pattern')} onChange={setRule('pattern', false)} spellCheck={false} />
      ) : null}
      {component.type === 'number' ? (
        <div className="builder-row">
          <TextField label={t('formBuilder.min')} value={rule('min')} onChange={setRule('min', true)} isReadOnly={isReadOnly} />
          <TextField label={t('formBuilder.max')} value={rule('max')} onChange={setRule('max', true)} isReadOnly={isReadOnly} />
        </div>
      ) : null}
      {component.type === 'date' ? (
        <div className="builder-row">
          <TextField type="date" label={t('formBuilder.minDate')} value={rule('min')} onChange={setRule('min', false)} isReadOnly={isReadOnly} />
          <TextField type="date" label={t('formBuilder.maxDate')} value={rule('max')} onChange={setRule('max', false)} isReadOnly={isReadOnly} />
        </div>
      ) : null}
      {component.type === 'select' || component.type === 'radio' ? (
        <fieldset className="builder-options">
          <legend>{t('formBuilder.options')}</legend>
          {options.map((option, at) => (
            <div className="builder-row" key={at}>
              <TextField
                label={t('formBuilder.optionValue', { n: at + 1 })}
                value={option.value}
                onChange={(value) => setOption(at, { ...option, value })}
                isReadOnly={isReadOnly}
                spellCheck={false}
              />
              <TextField
                label={t('formBuilder.optionLabel', { n: at + 1 })}
                value={textIn(option.label, language)}
                onChange={(text) => setOption(at, { ...option, label: withText(option.label, language, text) })}
                isReadOnly={isReadOnly}
              />
              <Button variant="quiet" onPress={() => setOption(at, undefined)} isDisabled={options.length <= 1}>
                {t('formBuilder.removeOption', { n: at + 1 })}
              </Button>
            </div>
          ))}
          <Button
            onPress={() => setOption(options.length, { value: `option${options.length + 1}`, label: { values: { [language]: `${options.length + 1}` } } })}
          >
            {t('formBuilder.addOption')}
          </Button>
        </fieldset>
      ) : null}
      {isInput ? (
        <fieldset className="builder-options">
          <legend>{t('formBuilder.messages')}</legend>
          <p className="field-help">{t('formBuilder.messagesHelp')}</p>
          {message('missingMessage')}
          {message('invalidMessage')}
          {hasLengths ? message('invalidLengthMessage') : null}
          {hasRange ? message('outOfRangeMessage') : null}
        </fieldset>
      ) : null}
    </fieldset>
  );
}
