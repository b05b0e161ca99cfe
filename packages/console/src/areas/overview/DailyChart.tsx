// Grouped bars per day in SVG: two series, so a chart library would be all weight and no gain. The SVG
// is hidden from assistive technology; the same numbers are in a table under a disclosure.
import { useI18n } from '../../i18n/i18n.tsx';

interface Day {
  date: string;
  signIns: number;
  registrations: number;
  failures: number;
}

const HEIGHT = 160;

export function DailyChart({ daily }: { daily: Day[] }) {
  const { t, formatNumber, locale } = useI18n();
  const max = Math.max(1, ...daily.map((d) => Math.max(d.signIns, d.registrations)));
  const slot = 24;
  const width = Math.max(daily.length * slot, slot);
  const dayLabel = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone: 'UTC' });
  return (
    <>
      <div className="chart-legend" aria-hidden="true">
        <span>
          <span className="swatch swatch-signins" /> {t('overview.signIns')}
        </span>
        <span>
          <span className="swatch swatch-registrations" /> {t('overview.registrations')}
        </span>
      </div>
      <svg className="chart" viewBox={`0 0 ${width} ${HEIGHT + 18}`} aria-hidden="true" focusable="false">
        <line x1="0" x2={width} y1={HEIGHT} y2={HEIGHT} className="chart-axis" />
        {daily.map((d, i) => {
          const x = i * slot + 3;
          const h1 = (d.signIns / max) * (HEIGHT - 4);
          const h2 = (d.registrations / max) * (HEIGHT - 4);
          return (
            <g key={d.date}>
              <rect x={x} y={HEIGHT - h1} width={8} height={h1} className="bar-signins" />
              <rect x={x + 9} y={HEIGHT - h2} width={8} height={h2} className="bar-registrations" />
              {i % 7 === 0 ? (
                <text x={x} y={HEIGHT + 14} className="chart-label">
                  {dayLabel.format(new Date(d.date))}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <details className="chart-table">
        <summary>{t('overview.tableView')}</summary>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('overview.date')}</th>
              <th scope="col" className="num">
                {t('overview.signIns')}
              </th>
              <th scope="col" className="num">
                {t('overview.registrations')}
              </th>
              <th scope="col" className="num">
                {t('overview.failures')}
              </th>
            </tr>
          </thead>
          <tbody>
            {daily.map((d) => (
              <tr key={d.date}>
                <td>{d.date}</td>
                <td className="num">{formatNumber(d.signIns)}</td>
                <td className="num">{formatNumber(d.registrations)}</td>
                <td className="num">{formatNumber(d.failures)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </>
  );
}
