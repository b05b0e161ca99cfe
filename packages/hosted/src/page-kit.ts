// What every hosted page script shares: its data block, messages, the live regions, busy buttons,
// and turning SDK errors into sentences.
// The SDK's modules are imported one by one (not its index), so the pages load only the self-service client.
import { KeywayServerError, KeywayWebError } from '../../web/src/errors.ts';
import { Keyway } from '../../web/src/keyway.ts';
import { format } from './format.ts';
import type { MessageKey } from './messages.ts';
import type { PageData } from './shells.ts';

export interface Page {
  data: PageData;
  keyway: Keyway;
  t(key: MessageKey, values?: Record<string, string | number>): string;
  /** Announces progress or success (polite live region). */
  status(text: string): void;
  /** Shows and announces an error (assertive live region); `field` is marked invalid and described by it. */
  error(text: string, field?: HTMLInputElement): void;
  clear(): void;
  /** The sentence for an SDK error, or undefined when the error needs no message (cancelled). */
  describe(error: unknown): string | undefined;
  /** Runs `action` with `buttons` disabled and marked busy; a second click meanwhile does nothing. */
  busy<T>(buttons: HTMLButtonElement[], action: () => Promise<T>): Promise<T | undefined>;
  url(page: 'signin' | 'signup' | 'passkeys'): string;
  /** After sign-in: `return_to` when it is a path on this origin (never elsewhere: no open redirect), else my passkeys. */
  continueUrl(): string;
}

export function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

export function loadPage(): Page {
  const data = JSON.parse(element('keyway-page').textContent ?? '{}') as PageData;
  const keyway = new Keyway({ baseUrl: data.base });
  const statusRegion = element('status');
  const errorRegion = element('error');
  let invalid: HTMLInputElement | undefined;
  const t = (key: MessageKey, values?: Record<string, string | number>) => format(data.messages[key] ?? key, values);
  // The language links keep the fragment (the recovery page's token lives there).
  if (location.hash) for (const link of document.querySelectorAll<HTMLAnchorElement>('.languages a')) link.hash = location.hash;

  const clear = () => {
    statusRegion.textContent = '';
    errorRegion.textContent = '';
    if (invalid) {
      invalid.removeAttribute('aria-invalid');
      invalid.setAttribute('aria-describedby', invalid.dataset.describedby ?? '');
      invalid = undefined;
    }
  };

  const describe = (error: unknown): string | undefined => {
    if (error instanceof KeywayServerError) {
      const key = `error.${error.problemCode}` as MessageKey;
      if (key in data.messages) return t(key, { seconds: error.retryAfterSeconds ?? 60 });
      return t('error.generic');
    }
    if (error instanceof KeywayWebError) {
      switch (error.code) {
        case 'ERR_CANCELLED':
          return undefined;
        case 'ERR_NOT_ALLOWED':
          return t('error.notAllowed');
        case 'ERR_CREDENTIAL_EXISTS':
          return t('error.credentialExists');
        case 'ERR_UNSUPPORTED':
          return t('error.unsupported');
        case 'ERR_NETWORK':
          return t('error.network');
        default:
          return t('error.generic');
      }
    }
    console.error(error);
    return t('error.generic');
  };

  return {
    data,
    keyway,
    t,
    clear,
    describe,
    status(text) {
      errorRegion.textContent = '';
      statusRegion.textContent = text;
    },
    error(text, field) {
      clear();
      errorRegion.textContent = text;
      if (field) {
        invalid = field;
        field.dataset.describedby ??= field.getAttribute('aria-describedby') ?? '';
        field.setAttribute('aria-invalid', 'true');
        field.setAttribute('aria-describedby', `${field.dataset.describedby} error`.trim());
        field.focus();
      }
    },
    async busy(buttons, action) {
      if (buttons.some((b) => b.getAttribute('aria-busy') === 'true')) return undefined;
      for (const b of buttons) {
        b.setAttribute('aria-busy', 'true');
        b.disabled = true;
      }
      try {
        return await action();
      } finally {
        for (const b of buttons) {
          b.removeAttribute('aria-busy');
          b.disabled = false;
        }
      }
    },
    url(page) {
      return `${data.base}/${page}${location.search.includes('lang=') ? `?lang=${data.lang}` : ''}`;
    },
    continueUrl() {
      const target = new URLSearchParams(location.search).get('return_to');
      if (target) {
        const resolved = new URL(target, location.origin);
        if (resolved.origin === location.origin && target.startsWith('/') && !target.startsWith('//')) return resolved.pathname + resolved.search + resolved.hash;
      }
      return this.url('passkeys');
    },
  };
}
