// What every hosted page script shares: its data block, messages, the live regions, busy buttons,
// and turning SDK errors into sentences.
// The SDK's modules are imported one by one (not its index), so the pages load only the self-service client.
import { isWebAuthnAvailable } from '../../web/src/capabilities.ts';
import { KeywayServerError } from '../../web/src/errors.ts';
import { Keyway } from '../../web/src/keyway.ts';
import { format } from './format.ts';
import type { MessageKey } from './messages.ts';
import type { PageData } from './shells.ts';
import { describeError, element, sameOriginReturnTo } from './ui-kit.ts';

export { element };

/** The server's refusals that are about what was typed in the username field: shown beside it. */
const IDENTIFIER_PROBLEMS = new Set(['IDENTIFIER_TAKEN', 'VALIDATION_FAILED']);

export function isAboutIdentifier(error: unknown): boolean {
  return error instanceof KeywayServerError && IDENTIFIER_PROBLEMS.has(error.problemCode);
}

export interface Page {
  data: PageData;
  keyway: Keyway;
  t(key: MessageKey, values?: Record<string, string | number>): string;
  /** Announces progress or success (polite live region). */
  status(text: string): void;
  /**
   * Shows and announces an error: beside `field` when given (which is marked invalid, described by it and focused),
   * else in the page's error region.
   */
  error(text: string, field?: HTMLInputElement): void;
  clear(): void;
  /** The sentence for an SDK error, or undefined when the error needs no message (cancelled). */
  describe(error: unknown): string | undefined;
  /** Enables the shell's action buttons (disabled until the script has attached what they do). */
  enable(...buttons: HTMLButtonElement[]): void;
  /**
   * Enables buttons that start a passkey ceremony where this browser can run one and answers true; else says that it
   * cannot, leaves them disabled and answers false.
   */
  enablePasskeyButtons(...buttons: HTMLButtonElement[]): boolean;
  /** Runs `action` with `buttons` disabled and marked busy; a second click meanwhile does nothing. */
  busy<T>(buttons: HTMLButtonElement[], action: () => Promise<T>): Promise<T | undefined>;
  url(page: 'signin' | 'signup' | 'passkeys' | 'lost-passkey'): string;
  /**
   * After sign-in: `return_to` when it is a path on this origin (never elsewhere: no open redirect), else the store's
   * application URL (its administrators' setting), else my passkeys.
   */
  continueUrl(): string;
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
      fieldError(invalid).textContent = '';
      invalid = undefined;
    }
  };

  return {
    data,
    keyway,
    t,
    clear,
    describe: (error) => describeError(error, data.messages, t),
    status(text) {
      errorRegion.textContent = '';
      statusRegion.textContent = text;
    },
    error(text, field) {
      clear();
      if (!field) {
        errorRegion.textContent = text;
        return;
      }
      invalid = field;
      const message = fieldError(field);
      message.textContent = text;
      field.dataset.describedby ??= field.getAttribute('aria-describedby') ?? '';
      field.setAttribute('aria-invalid', 'true');
      field.setAttribute('aria-describedby', `${message.id} ${field.dataset.describedby}`.trim());
      field.focus();
    },
    enable(...buttons) {
      for (const b of buttons) b.disabled = false;
    },
    enablePasskeyButtons(...buttons) {
      if (!isWebAuthnAvailable()) {
        this.error(t('common.unsupported'));
        return false;
      }
      this.enable(...buttons);
      return true;
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
      return sameOriginReturnTo() ?? data.applicationUrl ?? this.url('passkeys');
    },
  };
}

/** The error message element beside a field (`<id>-error`, right after it): the shell's, or one made on first use. */
function fieldError(field: HTMLInputElement): HTMLElement {
  const id = `${field.id}-error`;
  let message = document.getElementById(id);
  if (!message) {
    message = Object.assign(document.createElement('p'), { id, className: 'field-error' });
    message.setAttribute('role', 'alert');
    field.after(message);
  }
  return message;
}
