/** Replaces `{name}` placeholders; callers insert the result as text, never as HTML. */
export function format(template: string, values: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}

/**
 * Dates and times as the hosted pages show them (when an account was created, a passkey last used): with the time
 * zone, since a time without one is ambiguous for anyone who travels or reads it on another device.
 */
export function dateTimeFormat(lang: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(lang, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
}
