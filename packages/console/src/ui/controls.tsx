// Thin, styled wrappers over React Aria Components: labels, descriptions and errors are wired to their
// inputs by the library (aria-describedby, aria-invalid), focus is visible, everything is keyboard-usable.
import type { ReactNode } from 'react';
import {
  Button as AriaButton,
  Checkbox as AriaCheckbox,
  FieldError,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  Popover,
  Select,
  SelectValue,
  Text,
  TextArea,
  TextField as AriaTextField,
  type ButtonProps as AriaButtonProps,
} from 'react-aria-components';

export interface ButtonProps extends AriaButtonProps {
  variant?: 'primary' | 'secondary' | 'danger' | 'quiet';
}

export function Button({ variant = 'secondary', className, ...props }: ButtonProps) {
  return <AriaButton {...props} className={`button button-${variant}${className ? ` ${String(className)}` : ''}`} />;
}

export interface TextFieldProps {
  label: string;
  name?: string;
  value: string;
  onChange(value: string): void;
  description?: string;
  /** The API's message for this field: shown under it and marks it invalid. */
  error?: string | undefined;
  type?: 'text' | 'email' | 'url' | 'date' | 'number' | 'search';
  isRequired?: boolean;
  isReadOnly?: boolean;
  multiline?: boolean;
  rows?: number;
  autoFocus?: boolean;
  className?: string;
  spellCheck?: boolean;
}

export function TextField({ label, value, onChange, description, error, type = 'text', multiline, rows, className, spellCheck, ...rest }: TextFieldProps) {
  return (
    <AriaTextField
      {...rest}
      className={`field${className ? ` ${className}` : ''}`}
      value={value}
      onChange={onChange}
      type={multiline ? undefined : type}
      isInvalid={error !== undefined}
      validationBehavior="aria"
    >
      <Label>
        {label}
        {rest.isRequired ? <span aria-hidden="true"> *</span> : null}
      </Label>
      {multiline ? <TextArea rows={rows ?? 8} spellCheck={spellCheck ?? false} /> : <Input spellCheck={spellCheck} />}
      {description ? <Text slot="description">{description}</Text> : null}
      <FieldError>{error}</FieldError>
    </AriaTextField>
  );
}

export function Checkbox({
  children,
  isSelected,
  onChange,
  description,
}: {
  children: ReactNode;
  isSelected: boolean;
  onChange(v: boolean): void;
  description?: string;
}) {
  return (
    <div className="checkbox-field">
      <AriaCheckbox isSelected={isSelected} onChange={onChange} className="checkbox">
        <span className="checkbox-box" aria-hidden="true">
          <svg viewBox="0 0 18 18">
            <polyline points="2 9 7 14 16 4" />
          </svg>
        </span>
        {children}
      </AriaCheckbox>
      {description ? <p className="field-help">{description}</p> : null}
    </div>
  );
}

export interface SelectFieldProps<K extends string> {
  label: string;
  value: K;
  onChange(value: K): void;
  options: ReadonlyArray<{ id: K; label: string }>;
  description?: string;
  error?: string | undefined;
  className?: string;
}

export function SelectField<K extends string>({ label, value, onChange, options, description, error, className }: SelectFieldProps<K>) {
  return (
    <Select
      className={`field${className ? ` ${className}` : ''}`}
      selectedKey={value}
      onSelectionChange={(key) => onChange(String(key) as K)}
      isInvalid={error !== undefined}
      validationBehavior="aria"
    >
      <Label>{label}</Label>
      <AriaButton className="select-button">
        <SelectValue />
        <span aria-hidden="true" className="select-chevron">
          ▾
        </span>
      </AriaButton>
      {description ? <Text slot="description">{description}</Text> : null}
      <FieldError>{error}</FieldError>
      <Popover className="popover">
        <ListBox className="listbox">
          {options.map((option) => (
            <ListBoxItem key={option.id} id={option.id} className="listbox-item">
              {option.label}
            </ListBoxItem>
          ))}
        </ListBox>
      </Popover>
    </Select>
  );
}
