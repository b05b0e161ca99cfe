// Add or edit one policy. The fields follow the WebAuthn dictionaries (§5.4 PublicKeyCredentialCreationOptions,
// §5.5 PublicKeyCredentialRequestOptions); each says in one line what it changes.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { api, ifMatch, ok, versioned } from '../../api/client.ts';
import { ApiError } from '../../api/problem.ts';
import { useT } from '../../i18n/i18n.tsx';
import { Button, Checkbox, SelectField, TextField } from '../../ui/controls.tsx';
import { FormDialog } from '../../ui/dialogs.tsx';
import { ErrorMessage, Loading } from '../../ui/feedback.tsx';

export type PolicyKind = 'registration' | 'authentication';

const REQUIREMENTS = ['discouraged', 'preferred', 'required'] as const;
type Requirement = (typeof REQUIREMENTS)[number];

interface PolicyForm {
  name: string;
  attestation: 'none' | 'indirect' | 'direct' | 'enterprise';
  authenticatorAttachment: 'any' | 'platform' | 'cross-platform';
  residentKey: Requirement;
  userVerification: Requirement;
  algorithms: string;
  hints: string;
  timeout: string;
  excludeCredentials: boolean;
  allowSyncedPasskeys: boolean;
  requireTrustedAttestation: boolean;
  rootCertificates: string;
  allowDiscoverable: boolean;
}

/** The API's own defaults, so a new policy starts safe. */
const DEFAULTS: PolicyForm = {
  name: '',
  attestation: 'none',
  authenticatorAttachment: 'any',
  residentKey: 'preferred',
  userVerification: 'preferred',
  algorithms: '-8, -7, -257',
  hints: '',
  timeout: '300000',
  excludeCredentials: true,
  allowSyncedPasskeys: true,
  requireTrustedAttestation: false,
  rootCertificates: '',
  allowDiscoverable: true,
};

type Loaded = Record<string, unknown> & { name: string };

function formOf(p: Loaded): PolicyForm {
  const trust = (p.attestationTrust ?? {}) as { requireTrustedAttestation?: boolean; rootCertificates?: string[] };
  return {
    ...DEFAULTS,
    name: p.name,
    attestation: (p.attestation as PolicyForm['attestation']) ?? 'none',
    authenticatorAttachment: (p.authenticatorAttachment as PolicyForm['authenticatorAttachment']) ?? 'any',
    residentKey: (p.residentKey as Requirement) ?? 'preferred',
    userVerification: (p.userVerification as Requirement) ?? 'preferred',
    algorithms: ((p.algorithms as number[]) ?? []).join(', '),
    hints: ((p.hints as string[]) ?? []).join(', '),
    timeout: String(p.timeout ?? 300000),
    excludeCredentials: (p.excludeCredentials as boolean) ?? true,
    allowSyncedPasskeys: (p.allowSyncedPasskeys as boolean) ?? true,
    requireTrustedAttestation: trust.requireTrustedAttestation ?? false,
    rootCertificates: (trust.rootCertificates ?? []).join('\n'),
    allowDiscoverable: (p.allowDiscoverable as boolean) ?? true,
  };
}

const list = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');

function bodyOf(kind: PolicyKind, f: PolicyForm): Record<string, unknown> {
  const hints = list(f.hints);
  const timeout = Number(f.timeout);
  if (kind === 'authentication') return { userVerification: f.userVerification, timeout, allowDiscoverable: f.allowDiscoverable, hints };
  const certificates = f.rootCertificates.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return {
    attestation: f.attestation,
    ...(f.authenticatorAttachment === 'any' ? {} : { authenticatorAttachment: f.authenticatorAttachment }),
    residentKey: f.residentKey,
    userVerification: f.userVerification,
    algorithms: list(f.algorithms).map(Number),
    hints,
    timeout,
    excludeCredentials: f.excludeCredentials,
    allowSyncedPasskeys: f.allowSyncedPasskeys,
    attestationTrust: { requireTrustedAttestation: f.requireTrustedAttestation, rootCertificates: certificates },
  };
}

const COLLECTION = {
  registration: '/api/identity-store/stores/{storeName}/passkeys/registrationPolicies',
  authentication: '/api/identity-store/stores/{storeName}/passkeys/authenticationPolicies',
} as const;
const ITEM = {
  registration: '/api/identity-store/stores/{storeName}/passkeys/registrationPolicies/{policyName}',
  authentication: '/api/identity-store/stores/{storeName}/passkeys/authenticationPolicies/{policyName}',
} as const;

export function PolicyDialog({ store, kind, name, onClose }: { store: string; kind: PolicyKind; name: string | undefined; onClose(): void }) {
  const t = useT();
  const queryClient = useQueryClient();
  const [form, setForm] = useState<PolicyForm>(DEFAULTS);
  const loaded = useQuery({
    queryKey: ['policy', kind, store, name],
    enabled: name !== undefined,
    staleTime: 0,
    queryFn: () =>
      versioned(api.GET(ITEM[kind], { params: { path: { storeName: store, policyName: name! } } }) as Promise<{ data?: Loaded; response: Response }>),
  });
  useEffect(() => {
    if (loaded.data) setForm(formOf(loaded.data.data));
  }, [loaded.data]);
  const save = useMutation({
    mutationFn: () => {
      const body = bodyOf(kind, form);
      if (name)
        return ok(
          api.PATCH(ITEM[kind], {
            params: { path: { storeName: store, policyName: name } },
            headers: ifMatch(loaded.data?.etag),
            body: body as never,
          }) as Promise<{ response: Response }>,
        );
      return ok(
        api.POST(COLLECTION[kind], { params: { path: { storeName: store } }, body: { name: form.name, ...body } as never }) as Promise<{ response: Response }>,
      );
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['policies', kind, store] });
      await queryClient.invalidateQueries({ queryKey: ['policy', kind, store] });
      onClose();
    },
  });
  const error = save.error instanceof ApiError ? save.error : undefined;
  const fieldError = (field: string) => error?.problem.errors?.find((e) => e.field === field || e.field.startsWith(`${field}.`))?.message;
  const set =
    <K extends keyof PolicyForm>(key: K) =>
    (value: PolicyForm[K]) =>
      setForm({ ...form, [key]: value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const requirementOptions = REQUIREMENTS.map((id) => ({ id, label: id }));
  const title = name ? t('policies.editPolicy', { name }) : kind === 'registration' ? t('policies.addRegistration') : t('policies.addAuthentication');
  return (
    <FormDialog title={title} isOpen onOpenChange={(open) => !open && onClose()}>
      {name && loaded.isPending ? (
        <Loading />
      ) : (
        <form className="form" onSubmit={submit} noValidate>
          <ErrorMessage
            error={save.error}
            onReload={() => {
              save.reset();
              void loaded.refetch();
            }}
          />
          <TextField
            label={t('policies.name')}
            value={form.name}
            onChange={set('name')}
            isRequired
            isReadOnly={name !== undefined}
            error={fieldError('name')}
            autoFocus={!name}
          />
          <div className="form-grid">
            {kind === 'registration' ? (
              <>
                <SelectField
                  label={t('policy.attestation')}
                  value={form.attestation}
                  onChange={set('attestation')}
                  options={(['none', 'indirect', 'direct', 'enterprise'] as const).map((id) => ({ id, label: id }))}
                  description={t('policy.attestationHelp')}
                  error={fieldError('attestation')}
                />
                <SelectField
                  label={t('policy.authenticatorAttachment')}
                  value={form.authenticatorAttachment}
                  onChange={set('authenticatorAttachment')}
                  options={[
                    { id: 'any', label: t('policy.any') },
                    { id: 'platform', label: 'platform' },
                    { id: 'cross-platform', label: 'cross-platform' },
                  ]}
                  description={t('policy.authenticatorAttachmentHelp')}
                  error={fieldError('authenticatorAttachment')}
                />
                <SelectField
                  label={t('policy.residentKey')}
                  value={form.residentKey}
                  onChange={set('residentKey')}
                  options={requirementOptions}
                  description={t('policy.residentKeyHelp')}
                  error={fieldError('residentKey')}
                />
              </>
            ) : null}
            <SelectField
              label={t('policy.userVerification')}
              value={form.userVerification}
              onChange={set('userVerification')}
              options={requirementOptions}
              description={t('policy.userVerificationHelp')}
              error={fieldError('userVerification')}
            />
            {kind === 'registration' ? (
              <TextField
                label={t('policy.algorithms')}
                value={form.algorithms}
                onChange={set('algorithms')}
                description={t('policy.algorithmsHelp')}
                error={fieldError('algorithms')}
              />
            ) : null}
            <TextField label={t('policy.hints')} value={form.hints} onChange={set('hints')} description={t('policy.hintsHelp')} error={fieldError('hints')} />
            <TextField
              label={t('policy.timeout')}
              type="number"
              value={form.timeout}
              onChange={set('timeout')}
              description={t('policy.timeoutHelp')}
              error={fieldError('timeout')}
            />
          </div>
          {kind === 'registration' ? (
            <>
              <Checkbox isSelected={form.excludeCredentials} onChange={set('excludeCredentials')} description={t('policy.excludeCredentialsHelp')}>
                {t('policy.excludeCredentials')}
              </Checkbox>
              <Checkbox isSelected={form.allowSyncedPasskeys} onChange={set('allowSyncedPasskeys')} description={t('policy.allowSyncedPasskeysHelp')}>
                {t('policy.allowSyncedPasskeys')}
              </Checkbox>
              <Checkbox
                isSelected={form.requireTrustedAttestation}
                onChange={set('requireTrustedAttestation')}
                description={t('policy.requireTrustedAttestationHelp')}
              >
                {t('policy.requireTrustedAttestation')}
              </Checkbox>
              {form.requireTrustedAttestation ? (
                <TextField
                  label={t('policy.rootCertificates')}
                  multiline
                  rows={5}
                  value={form.rootCertificates}
                  onChange={set('rootCertificates')}
                  description={t('policy.rootCertificatesHelp')}
                  error={fieldError('attestationTrust')}
                />
              ) : null}
            </>
          ) : (
            <Checkbox isSelected={form.allowDiscoverable} onChange={set('allowDiscoverable')} description={t('policy.allowDiscoverableHelp')}>
              {t('policy.allowDiscoverable')}
            </Checkbox>
          )}
          <div className="form-actions">
            <Button onPress={onClose}>{t('common.cancel')}</Button>
            <Button type="submit" variant="primary" isDisabled={save.isPending}>
              {t('common.save')}
            </Button>
          </div>
        </form>
      )}
    </FormDialog>
  );
}
