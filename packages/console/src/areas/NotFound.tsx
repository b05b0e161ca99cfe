import { Link } from 'react-router';
import { useT } from '../i18n/i18n.tsx';
import { PageHeader } from '../ui/feedback.tsx';

export function NotFound() {
  const t = useT();
  return (
    <>
      <PageHeader title={t('notFound.title')} />
      <p>{t('error.notFound')}</p>
      <p>
        <Link to="/overview">{t('nav.overview')}</Link>
      </p>
    </>
  );
}
