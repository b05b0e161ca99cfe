import type { HostedBranding } from '../../../hosted/src/shell-kit.ts';
import type { Branding } from './branding-service.ts';

/**
 * A hosted page's Content-Security-Policy widened by exactly what its store's branding needs: the logo's
 * https origin for images, and the hash of the theme `<style>` element (CSP Level 3 hash sources), so no
 * other inline style and no other image host is allowed.
 */
export function brandedCsp(csp: string, branding: Pick<Branding, 'logo' | 'styleSource'>): string {
  const directives = csp
    .split(';')
    .map((d) => d.trim())
    .filter(Boolean);
  const add = (name: string, source: string) => {
    const index = directives.findIndex((d) => d.split(/\s+/)[0] === name);
    if (index === -1) directives.push(`${name} 'self' ${source}`);
    else directives[index] = `${directives[index]} ${source}`;
  };
  if (branding.logo?.origin) add('img-src', branding.logo.origin);
  if (branding.styleSource) add('style-src', branding.styleSource);
  return directives.join('; ');
}

/** What the hosted pages' frame takes of a store's branding. */
export function hostedBranding(branding: Branding): HostedBranding {
  return { logoUrl: branding.logo?.url, languages: branding.languages.offered, themeCss: branding.themeCss };
}
