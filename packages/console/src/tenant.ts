// The console lives at /{tenantId}/console: the tenant is the first path segment, never configured.
const segment = window.location.pathname.split('/')[1] ?? '';

export const tenantId = decodeURIComponent(segment);
/** The router's basename and the prefix of the console's own browser API. */
export const consoleBase = `/${segment}/console`;
