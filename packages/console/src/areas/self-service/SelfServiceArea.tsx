// The store's self-service settings (hosted sign-up, sign-in, my passkeys, recovery) with a live preview of the hosted
// page beside the form, showing the settings as they are in the form, before they are saved: the server renders it
// for the signed-in operator at /{tenantId}/console/preview/… (the only hosted page it lets Keyway frame; inert, with
// no script). Edits send the store's ETag as If-Match.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useParams } from 'react-router';
import { api, ifMatch, ok, versioned } from '../../api/client.ts';
import { ApiError } from '../../api/problem.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useCan } from '../../session/use-session.ts';
import { tenantId } from '../../tenant.ts';
import { Button, Checkbox, SelectField, TextField } from '../../ui/controls.tsx';
import { ErrorMessage, Loading, Notice, PageHeader } from '../../ui/feedback.tsx';

const PAGES = ['signin', 'signup', 'passkeys', 'recover'] as const;
type PageName = (typeof PAGES)[number];

interface Settings {
  enabled: boolean;
  relyingPartyId: string;
  registrationPolicy: string;
  authenticationPolicy: string;
  allowSignUp: boolean;
  verifyEmail: boolean;
  signUpChallenge: boolean;
  accountDeletion: boolean;
  sessionTtlSeconds: string;
  recoveryLinkTtlSeconds: string;
  applicationUrl: string;
}

export function SelfServiceArea() {
  const { t, locale } = useI18n();
  const store = useParams().store!;
  const canUpdate = useCan('IdentityStore:updateStore');
  const queryClient = useQueryClient();
  const path = { storeName: store };
  const loaded = useQuery({ queryKey: ['store', store], queryFn: () => versioned(api.GET('/api/identity-store/stores/{storeName}', { params: { path } })) });
  const rps = useQuery({
    queryKey: ['relying-parties', store],
    queryFn: () => ok(api.GET('/api/identity-store/stores/{storeName}/passkeys/relyingParties', { params: { path } })),
  });
  const regs = useQuery({
    queryKey: ['policies', 'registration', store],
    queryFn: () => ok(api.GET('/api/identity-store/stores/{storeName}/passkeys/registrationPolicies', { params: { path } })),
  });
  const auths = useQuery({
    queryKey: ['policies', 'authentication', store],
    queryFn: () => ok(api.GET('/api/identity-store/stores/{storeName}/passkeys/authenticationPolicies', { params: { path } })),
  });
  const [form, setForm] = useState<Settings | undefined>();
  const [saved, setSaved] = useState(0);
  const [page, setPage] = useState<PageName>('signin');
  useEffect(() => {
    if (!loaded.data || !rps.data || !regs.data || !auths.data) return;
    const s = loaded.data.data.selfService;
    setForm({
      enabled: s?.enabled ?? false,
      relyingPartyId: s?.relyingPartyId ?? rps.data.items[0]?.id ?? '',
      registrationPolicy: s?.registrationPolicy ?? regs.data.items[0]?.name ?? '',
      authenticationPolicy: s?.authenticationPolicy ?? auths.data.items[0]?.name ?? '',
      allowSignUp: s?.allowSignUp ?? true,
      verifyEmail: s?.verifyEmail ?? false,
      signUpChallenge: s?.signUpChallenge ?? false,
      accountDeletion: s?.accountDeletion ?? true,
      sessionTtlSeconds: String(s?.sessionTtlSeconds ?? 28800),
      recoveryLinkTtlSeconds: String(s?.recoveryLinkTtlSeconds ?? 3600),
      applicationUrl: s?.applicationUrl ?? '',
    });
  }, [loaded.data, rps.data, regs.data, auths.data]);
  const save = useMutation({
    mutationFn: (f: Settings) =>
      ok(
        api.PATCH('/api/identity-store/stores/{storeName}', {
          params: { path },
          headers: ifMatch(loaded.data?.etag),
          body: {
            selfService: {
              enabled: f.enabled,
              relyingPartyId: f.relyingPartyId,
              registrationPolicy: f.registrationPolicy,
              authenticationPolicy: f.authenticationPolicy,
              allowSignUp: f.allowSignUp,
              verifyEmail: f.verifyEmail,
              signUpChallenge: f.signUpChallenge,
              accountDeletion: f.accountDeletion,
              sessionTtlSeconds: Number(f.sessionTtlSeconds),
              recoveryLinkTtlSeconds: Number(f.recoveryLinkTtlSeconds),
              ...(f.applicationUrl.trim() ? { applicationUrl: f.applicationUrl.trim() } : {}),
            },
          },
        }),
      ),
    onSuccess: async () => {
      setSaved((n) => n + 1);
      await queryClient.invalidateQueries({ queryKey: ['store', store] });
      await queryClient.invalidateQueries({ queryKey: ['stores'] });
    },
  });
  const error = loaded.error ?? rps.error ?? regs.error ?? auths.error;
  if (error) return <ErrorMessage error={error} />;
  if (!form || !rps.data || !regs.data || !auths.data) return <Loading />;
  const apiError = save.error instanceof ApiError ? save.error : undefined;
  const fieldError = (field: string) => apiError?.fieldMessage(`selfService.${field}`);
  const set =
    <K extends keyof Settings>(key: K) =>
    (value: Settings[K]) =>
      setForm({ ...form, [key]: value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(form);
  };
  const ready = rps.data.items.length > 0 && regs.data.items.length > 0 && auths.data.items.length > 0;
  const live = loaded.data?.data.selfService?.enabled === true;
  const pageUrl = `/${encodeURIComponent(tenantId)}/identity/${encodeURIComponent(store)}/${page}?lang=${locale}`;
  const unsaved = new URLSearchParams({
    lang: locale,
    allowSignUp: String(form.allowSignUp),
    ...(form.applicationUrl ? { applicationUrl: form.applicationUrl } : {}),
  });
  const previewUrl = `/${encodeURIComponent(tenantId)}/console/preview/${encodeURIComponent(store)}/${page}?${unsaved}`;
  return (
    <>
      <PageHeader title={t('selfService.title')}>
        <p className="muted">{t('selfService.intro')}</p>
      </PageHeader>
      <div className="split">
        <form className="form panel" onSubmit={submit} noValidate>
          {!ready ? <p className="alert alert-warning">{t('selfService.needsSetup')}</p> : null}
          <ErrorMessage
            error={save.error}
            onReload={() => {
              save.reset();
              void loaded.refetch();
            }}
          />
          {saved > 0 && !save.isPending && !save.error ? <Notice>{t('common.saved')}</Notice> : null}
          <Checkbox isSelected={form.enabled} onChange={set('enabled')} description={t('selfService.enabledHelp')}>
            {t('selfService.enabled')}
          </Checkbox>
          <SelectField
            label={t('selfService.relyingParty')}
            value={form.relyingPartyId}
            onChange={set('relyingPartyId')}
            options={rps.data.items.map((rp) => ({ id: rp.id, label: `${rp.name} (${rp.id})` }))}
            description={t('selfService.relyingPartyHelp')}
            error={fieldError('relyingPartyId')}
          />
          <SelectField
            label={t('selfService.registrationPolicy')}
            value={form.registrationPolicy}
            onChange={set('registrationPolicy')}
            options={regs.data.items.map((p) => ({ id: p.name, label: p.name }))}
            error={fieldError('registrationPolicy')}
          />
          <SelectField
            label={t('selfService.authenticationPolicy')}
            value={form.authenticationPolicy}
            onChange={set('authenticationPolicy')}
            options={auths.data.items.map((p) => ({ id: p.name, label: p.name }))}
            error={fieldError('authenticationPolicy')}
          />
          <Checkbox isSelected={form.allowSignUp} onChange={set('allowSignUp')} description={t('selfService.allowSignUpHelp')}>
            {t('selfService.allowSignUp')}
          </Checkbox>
          <Checkbox isSelected={form.verifyEmail} onChange={set('verifyEmail')} description={t('selfService.verifyEmailHelp')}>
            {t('selfService.verifyEmail')}
          </Checkbox>
          <Checkbox isSelected={form.signUpChallenge} onChange={set('signUpChallenge')} description={t('selfService.signUpChallengeHelp')}>
            {t('selfService.signUpChallenge')}
          </Checkbox>
          <Checkbox isSelected={form.accountDeletion} onChange={set('accountDeletion')} description={t('selfService.accountDeletionHelp')}>
            {t('selfService.accountDeletion')}
          </Checkbox>
          <TextField
            label={t('selfService.sessionTtl')}
            type="number"
            value={form.sessionTtlSeconds}
            onChange={set('sessionTtlSeconds')}
            description={t('selfService.sessionTtlHelp')}
            error={fieldError('sessionTtlSeconds')}
          />
          <TextField
            label={t('selfService.recoveryTtl')}
            type="number"
            value={form.recoveryLinkTtlSeconds}
            onChange={set('recoveryLinkTtlSeconds')}
            description={t('selfService.recoveryTtlHelp')}
            error={fieldError('recoveryLinkTtlSeconds')}
          />
          <TextField
            label={t('selfService.applicationUrl')}
            type="url"
            value={form.applicationUrl}
            onChange={set('applicationUrl')}
            description={t('selfService.applicationUrlHelp')}
            error={fieldError('applicationUrl')}
          />
          {canUpdate ? (
            <div className="form-actions">
              <Button type="submit" variant="primary" isDisabled={save.isPending || !ready}>
                {t('common.save')}
              </Button>
            </div>
          ) : (
            <p className="muted">{t('common.readOnly')}</p>
          )}
        </form>
        <section className="panel" aria-labelledby="preview-title">
          <div className="section-head">
            <h2 id="preview-title">{t('selfService.preview')}</h2>
            <SelectField<PageName>
              className="field-compact"
              label={t('selfService.previewPage')}
              value={page}
              onChange={setPage}
              options={PAGES.map((id) => ({ id, label: id }))}
            />
          </div>
          {live ? (
            <>
              <iframe
                key={`${previewUrl}#${saved}`}
                className="preview-frame"
                title={t('selfService.preview')}
                src={previewUrl}
                // Same origin, for the console cookie; no scripts (the server's policy forbids them too).
                sandbox="allow-same-origin"
              />
              <p className="muted small">
                {t('selfService.previewUnsaved')}{' '}
                <a href={pageUrl} target="_blank" rel="noreferrer">
                  {t('common.open')} ↗
                </a>
              </p>
            </>
          ) : (
            // Nothing is served for a store without self-service: say so rather than frame a blank page.
            <p className="preview-frame preview-off muted">{t('selfService.previewOff')}</p>
          )}
        </section>
      </div>
    </>
  );
}
