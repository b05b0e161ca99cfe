import { useT } from '../../i18n/i18n.tsx';
import type { MessageKey } from '../../i18n/en.ts';

export function StatusBadge({ status }: { status: string }) {
  const t = useT();
  const known = ['active', 'pending', 'locked', 'disabled'].includes(status);
  return <span className={`badge badge-${status}`}>{known ? t(`status.${status}` as MessageKey) : status}</span>;
}
