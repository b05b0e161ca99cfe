// How loading, failures and empty lists look everywhere. A stale edit (409 EDIT_CONFLICT) gets its own
// message: someone else changed the record, so reload rather than overwrite.
import type { ReactNode } from 'react';
import { ApiError } from '../api/problem.ts';
import { useT } from '../i18n/i18n.tsx';
import { Button } from './controls.tsx';

export function ErrorMessage({ error, onReload }: { error: unknown; onReload?: () => void }) {
  const t = useT();
  if (!error) return null;
  if (error instanceof ApiError && error.code === 'EDIT_CONFLICT') {
    return (
      <div role="alert" className="alert alert-warning">
        <strong>{t('error.conflictTitle')}</strong>
        <p>{t('error.conflict')}</p>
        {onReload ? <Button onPress={onReload}>{t('common.reload')}</Button> : null}
      </div>
    );
  }
  const message = error instanceof ApiError ? error.message : t('error.generic');
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <div role="alert" className="alert alert-error">
      <p>
        {message}
        {code ? <code className="error-code">{code}</code> : null}
      </p>
    </div>
  );
}

export function Loading() {
  const t = useT();
  return (
    <p className="loading" role="status">
      {t('common.loading')}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function PageHeader({ title, actions, children }: { title: string; actions?: ReactNode; children?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {children}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

/** A polite status line for what just happened ("Saved"). */
export function Notice({ children }: { children: ReactNode }) {
  return (
    <p role="status" className="notice">
      {children}
    </p>
  );
}
