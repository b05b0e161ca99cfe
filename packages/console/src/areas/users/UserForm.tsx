// Every Add User field, labelled as operators and outside tests know them ("User key", "External ID",
// "Email", "First name", "Last name"), with the API's validation message under the field it names.
import type { FormEvent, ReactNode } from 'react';
import { ApiError } from '../../api/problem.ts';
import { useT } from '../../i18n/i18n.tsx';
import { SelectField, TextField } from '../../ui/controls.tsx';
import { ErrorMessage } from '../../ui/feedback.tsx';
import { USER_STATUSES, type UserFormValues, type UserStatus } from './user-form.ts';

export function UserForm({
  values,
  onChange,
  onSubmit,
  error,
  actions,
  onReload,
}: {
  values: UserFormValues;
  onChange(values: UserFormValues): void;
  onSubmit(): void;
  error: unknown;
  actions: ReactNode;
  onReload?: () => void;
}) {
  const t = useT();
  const apiError = error instanceof ApiError ? error : undefined;
  const fieldError = (...fields: string[]) => {
    for (const field of fields) {
      const message = apiError?.fieldMessage(field);
      if (message) return message;
    }
    return undefined;
  };
  const set = (key: keyof UserFormValues) => (value: string) => onChange({ ...values, [key]: value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit();
  };
  const duplicate = apiError?.code === 'EXT_ID_NOT_UNIQUE' ? apiError.message : undefined;
  const duplicateKey = apiError?.code === 'USER_KEY_NOT_UNIQUE' ? apiError.message : undefined;
  return (
    <form className="form" onSubmit={submit} noValidate>
      <ErrorMessage error={error} {...(onReload ? { onReload } : {})} />
      <div className="form-grid">
        <TextField
          label={t('user.userKey')}
          value={values.userKey}
          onChange={set('userKey')}
          isRequired
          error={fieldError('userKey') ?? duplicateKey}
          description={t('user.userKeyHelp')}
        />
        <TextField
          label={t('user.externalId')}
          value={values.externalId}
          onChange={set('externalId')}
          error={fieldError('externalId') ?? duplicate}
          description={t('user.externalIdHelp')}
        />
        <TextField label={t('user.email')} type="email" value={values.email} onChange={set('email')} error={fieldError('email')} />
        <TextField label={t('user.firstName')} value={values.firstName} onChange={set('firstName')} error={fieldError('firstName')} />
        <TextField label={t('user.lastName')} value={values.lastName} onChange={set('lastName')} error={fieldError('lastName')} />
        <TextField
          label={t('user.dateOfBirth')}
          value={values.dateOfBirth}
          onChange={set('dateOfBirth')}
          error={fieldError('dateOfBirth')}
          description={t('user.dateOfBirthHelp')}
        />
        <TextField
          label={t('user.language')}
          value={values.language}
          onChange={set('language')}
          error={fieldError('locale.language', 'locale')}
          description={t('user.languageHelp')}
        />
        <TextField
          label={t('user.country')}
          value={values.country}
          onChange={set('country')}
          error={fieldError('locale.country')}
          description={t('user.countryHelp')}
        />
        <TextField label={t('user.variant')} value={values.variant} onChange={set('variant')} error={fieldError('locale.variant')} />
        <TextField
          label={t('user.nationalities')}
          value={values.nationalities}
          onChange={set('nationalities')}
          error={fieldError('nationalities')}
          description={t('user.nationalitiesHelp')}
        />
        <SelectField<UserStatus>
          label={t('user.status')}
          value={values.status}
          onChange={(status) => onChange({ ...values, status })}
          options={USER_STATUSES.map((id) => ({ id, label: t(`status.${id}`) }))}
          error={fieldError('status')}
        />
        <TextField
          label={t('user.timezone')}
          value={values.timezone}
          onChange={set('timezone')}
          error={fieldError('timezone')}
          description={t('user.timezoneHelp')}
        />
        <TextField label={t('user.type')} value={values.type} onChange={set('type')} error={fieldError('type')} />
      </div>
      <TextField
        label={t('user.attributes')}
        multiline
        rows={3}
        value={values.attributes}
        onChange={set('attributes')}
        error={fieldError('attributes')}
        description={t('user.attributesHelp')}
      />
      <div className="form-actions">{actions}</div>
    </form>
  );
}
