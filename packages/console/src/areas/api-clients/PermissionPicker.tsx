// Permissions grouped by service, each with what it allows; only those the operator holds can be granted
// (the API refuses the rest with PERMISSION_NOT_GRANTABLE).
import { Checkbox, CheckboxGroup, Label, Text } from 'react-aria-components';
import { PERMISSIONS } from '../../api/permissions.ts';
import { useT } from '../../i18n/i18n.tsx';
import { can } from '../../session/session.ts';
import { useSession } from '../../session/use-session.ts';

export function PermissionPicker({ value, onChange, error }: { value: string[]; onChange(value: string[]): void; error?: string | undefined }) {
  const t = useT();
  const session = useSession();
  const services = [...new Set(PERMISSIONS.map((p) => p.id.split(':')[0]!))];
  return (
    <CheckboxGroup className="field permission-picker" value={value} onChange={onChange} isInvalid={error !== undefined} validationBehavior="aria">
      <Label>{t('apiClients.permissions')}</Label>
      <Text slot="description">{t('apiClients.permissionsHelp')}</Text>
      {error ? <p className="field-error">{error}</p> : null}
      <div className="permission-groups">
        {services.map((service) => (
          <fieldset key={service} className="permission-group">
            <legend>{service}</legend>
            <Checkbox value={`${service}:*`} className="checkbox" isDisabled={!can(session, `${service}:*`)}>
              <span className="checkbox-box" aria-hidden="true">
                <svg viewBox="0 0 18 18">
                  <polyline points="2 9 7 14 16 4" />
                </svg>
              </span>
              {t('apiClients.selectAll', { service })}
            </Checkbox>
            {PERMISSIONS.filter((p) => p.id.startsWith(`${service}:`)).map((p) => (
              <Checkbox key={p.id} value={p.id} className="checkbox" isDisabled={!can(session, p.id) || value.includes(`${service}:*`)}>
                <span className="checkbox-box" aria-hidden="true">
                  <svg viewBox="0 0 18 18">
                    <polyline points="2 9 7 14 16 4" />
                  </svg>
                </span>
                <span>
                  <span className="mono">{p.id.split(':')[1]}</span> <span className="muted">— {p.description}</span>
                </span>
              </Checkbox>
            ))}
          </fieldset>
        ))}
      </div>
    </CheckboxGroup>
  );
}
