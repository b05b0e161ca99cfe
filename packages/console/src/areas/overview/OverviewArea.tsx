// The tenant at a glance: totals, sign-ins and registrations per day (a chart with the same numbers as
// a table for screen readers), failed ceremonies by code, and the authenticator mix.
import { useQuery } from '@tanstack/react-query';
import { adminJson } from '../../api/client.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { ErrorMessage, Loading, PageHeader } from '../../ui/feedback.tsx';
import { ProviderIcon } from '../../ui/ProviderIcon.tsx';
import { DailyChart } from './DailyChart.tsx';
import { GettingStarted } from './GettingStarted.tsx';

export interface Overview {
  totals: { users: number; passkeys: number };
  daily: Array<{ date: string; signIns: number; registrations: number; failures: number }>;
  failuresByCode: Array<{ code: string; count: number }>;
  authenticators: {
    synced: number;
    deviceBound: number;
    top: Array<{ aaguid: string; name: string | null; iconLight?: string; iconDark?: string; count: number }>;
  };
}

const DAYS = 30;

export function OverviewArea() {
  const { t, formatNumber } = useI18n();
  const overview = useQuery({
    queryKey: ['overview', DAYS],
    queryFn: () => adminJson<Overview>('GET', `/api/console/overview?days=${DAYS}`),
    // A dashboard is read anew each time it is opened (a user just added elsewhere counts at once).
    staleTime: 0,
  });
  const header = (
    <PageHeader title={t('overview.title')}>
      <p className="muted">{t('overview.days', { days: DAYS })}</p>
    </PageHeader>
  );
  if (overview.isPending || overview.error) {
    return (
      <>
        {header}
        {overview.isPending ? <Loading /> : <ErrorMessage error={overview.error} />}
      </>
    );
  }
  const o = overview.data;
  const sum = (key: 'signIns' | 'registrations' | 'failures') => o.daily.reduce((n, d) => n + d[key], 0);
  const passkeys = o.authenticators.synced + o.authenticators.deviceBound;
  const syncedShare = passkeys === 0 ? 0 : Math.round((o.authenticators.synced / passkeys) * 100);
  return (
    <>
      {header}
      <GettingStarted users={o.totals.users} />
      <ul className="stats">
        {(
          [
            ['overview.users', o.totals.users],
            ['overview.passkeys', o.totals.passkeys],
            ['overview.signIns', sum('signIns')],
            ['overview.registrations', sum('registrations')],
            ['overview.failures', sum('failures')],
          ] as const
        ).map(([label, value]) => (
          <li key={label} className="stat">
            <span className="stat-value">{formatNumber(value)}</span>
            <span className="stat-label">{t(label)}</span>
          </li>
        ))}
      </ul>
      <section className="panel" aria-labelledby="daily-title">
        <h2 id="daily-title">{t('overview.daily')}</h2>
        <DailyChart daily={o.daily} />
      </section>
      <div className="panel-grid">
        <section className="panel" aria-labelledby="failures-title">
          <h2 id="failures-title">{t('overview.failuresByCode')}</h2>
          {o.failuresByCode.length === 0 ? (
            <p className="muted">{t('overview.noFailures')}</p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('overview.code')}</th>
                  <th scope="col" className="num">
                    {t('overview.count')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {o.failuresByCode.map((f) => (
                  <tr key={f.code}>
                    <td className="mono">{f.code}</td>
                    <td className="num">{formatNumber(f.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section className="panel" aria-labelledby="mix-title">
          <h2 id="mix-title">{t('overview.authenticators')}</h2>
          <div className={`mix-bar${passkeys === 0 ? ' mix-empty' : ''}`} aria-hidden="true">
            <span className="mix-synced" style={{ width: `${syncedShare}%` }} />
          </div>
          <dl className="inline-details">
            <div>
              <dt>
                <span className="swatch swatch-synced" aria-hidden="true" /> {t('overview.synced')}
              </dt>
              <dd>{formatNumber(o.authenticators.synced)}</dd>
            </div>
            <div>
              <dt>
                <span className="swatch swatch-device" aria-hidden="true" /> {t('overview.deviceBound')}
              </dt>
              <dd>{formatNumber(o.authenticators.deviceBound)}</dd>
            </div>
          </dl>
          <h3>{t('overview.topProviders')}</h3>
          {o.authenticators.top.length === 0 ? <p className="muted">{t('overview.noPasskeys')}</p> : null}
          <ol className="plain-list provider-list">
            {o.authenticators.top.map((a) => (
              <li key={a.aaguid}>
                <ProviderIcon iconLight={a.iconLight} iconDark={a.iconDark} small />
                <span>
                  {a.name ?? t('passkeys.unknownProvider')} <span className="muted">({formatNumber(a.count)})</span>
                </span>
              </li>
            ))}
          </ol>
        </section>
      </div>
    </>
  );
}
