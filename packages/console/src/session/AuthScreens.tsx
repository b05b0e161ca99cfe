// Sign-in (a usernameless passkey prompt) and enrolment from a one-time link, whose token arrives in
// the URL fragment so it never reaches a server log or a Referer header.
import { useState, type FormEvent, type ReactNode } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError } from '../api/problem.ts';
import { useT } from '../i18n/i18n.tsx';
import { Button, TextField } from '../ui/controls.tsx';
import { consoleApi, sessionStarted } from './session.ts';
import { useSession } from './use-session.ts';
import { createPasskey, getPasskey, isCancelled } from './webauthn.ts';
import { tenantId } from '../tenant.ts';
import { Preferences } from '../shell/Preferences.tsx';

function AuthFrame({ title, children }: { title: string; children: ReactNode }) {
  const t = useT();
  return (
    <div className="auth-page">
      <header className="auth-top">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true">
            K
          </span>
          Keyway
        </span>
        <Preferences />
      </header>
      <main id="main" className="auth-card">
        <h1>{title}</h1>
        <p className="muted">{t('auth.tenant', { tenant: tenantId })}</p>
        {children}
      </main>
    </div>
  );
}

function useCeremonyError(): [string | undefined, (error: unknown) => void, () => void] {
  const t = useT();
  const [message, setMessage] = useState<string | undefined>();
  const report = (error: unknown) => {
    if (isCancelled(error)) setMessage(t('auth.cancelled'));
    else if (error instanceof ApiError) setMessage(`${error.message} (${error.code})`);
    else setMessage(t('error.generic'));
  };
  return [message, report, () => setMessage(undefined)];
}

export function SignInScreen() {
  const t = useT();
  const session = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const [busy, setBusy] = useState(false);
  const [error, report, clear] = useCeremonyError();
  const from = (location.state as { from?: string } | null)?.from ?? '/overview';
  if (session) return <Navigate to={from} replace />;
  const signIn = async () => {
    clear();
    setBusy(true);
    try {
      const { publicKey } = await consoleApi<{ publicKey: PublicKeyCredentialRequestOptionsJSON }>('sign-in/options', {});
      const credential = await getPasskey(publicKey);
      await consoleApi('sign-in/finish', { credential });
      await sessionStarted();
      navigate(from, { replace: true });
    } catch (e) {
      report(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <AuthFrame title={t('auth.signInTitle')}>
      <p>{t('auth.signInIntro')}</p>
      <Button variant="primary" onPress={signIn} isDisabled={busy}>
        {t('auth.signIn')}
      </Button>
      {error ? (
        <p role="alert" className="alert alert-error">
          {error}
        </p>
      ) : null}
    </AuthFrame>
  );
}

export function EnrolScreen() {
  const t = useT();
  const navigate = useNavigate();
  const [token] = useState(() => new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '');
  const [displayName, setDisplayName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, report, clear] = useCeremonyError();
  const enrol = async (event: FormEvent) => {
    event.preventDefault();
    clear();
    setBusy(true);
    try {
      const { publicKey } = await consoleApi<{ publicKey: PublicKeyCredentialCreationOptionsJSON }>('enrolment/options', { token, displayName });
      const credential = await createPasskey(publicKey);
      await consoleApi('enrolment/finish', { token, credential });
      // The token is spent: drop it from the address bar and history.
      window.history.replaceState(null, '', window.location.pathname);
      await sessionStarted();
      navigate('/overview', { replace: true });
    } catch (e) {
      report(e);
    } finally {
      setBusy(false);
    }
  };
  if (!token) {
    return (
      <AuthFrame title={t('auth.enrolTitle')}>
        <p role="alert" className="alert alert-error">
          {t('auth.enrolNoToken')}
        </p>
      </AuthFrame>
    );
  }
  return (
    <AuthFrame title={t('auth.enrolTitle')}>
      <p>{t('auth.enrolIntro')}</p>
      <form onSubmit={enrol} className="form">
        <TextField label={t('auth.displayName')} value={displayName} onChange={setDisplayName} isRequired autoFocus description={t('auth.displayNameHelp')} />
        <Button type="submit" variant="primary" isDisabled={busy || displayName.trim() === ''}>
          {t('auth.createPasskey')}
        </Button>
      </form>
      {error ? (
        <p role="alert" className="alert alert-error">
          {error}
        </p>
      ) : null}
    </AuthFrame>
  );
}
