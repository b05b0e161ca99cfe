// What every hosted script shares, the self-service pages (page-kit.ts) and the journey runner alike:
// nothing here loads the self-service client (keyway.ts), which the runner does not need.
import { KeywayServerError, KeywayWebError } from '../../web/src/errors.ts';
import { safeReturnTo } from './return-to.ts';

export function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

type ErrorKey = 'error.generic' | 'error.notAllowed' | 'error.credentialExists' | 'error.unsupported' | 'error.network';

/**
 * The sentence for an SDK error: the server's code when the catalogue `messages` has a text for it,
 * else one per SDK error code; undefined when it needs none (cancelled).
 */
export function describeError<K extends string>(
  error: unknown,
  messages: Record<K, string>,
  t: (key: K | ErrorKey, values?: Record<string, string | number>) => string,
): string | undefined {
  if (error instanceof KeywayServerError) {
    const key = `error.${error.problemCode}` as K;
    return key in messages ? t(key, { seconds: error.retryAfterSeconds ?? 60 }) : t('error.generic');
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
}

/** `return_to` as an absolute URL on this origin (never elsewhere: no open redirect; return-to.ts), else undefined. */
export function sameOriginReturnTo(): string | undefined {
  return safeReturnTo(new URLSearchParams(location.search).get('return_to'), location.origin);
}
