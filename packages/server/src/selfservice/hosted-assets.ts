// The hosted pages' static assets (a hosted-asset-bundle.ts bundle under `/_keyway/<version>/…`): the
// page scripts and what they import from packages/web (the @keyway/web SDK) and packages/hosted, the
// whole SDK, and the stylesheet.
import type { PageName, ShellAssets } from '../../../hosted/src/shells.ts';
import { buildHostedAssetBundle, jsAssetKey, type HostedAssetBundle } from './hosted-asset-bundle.ts';

const STYLESHEET = 'hosted/src/keyway.css';
const SDK_ENTRY = 'web/src/index.ts';
const PAGE_SCRIPTS: Record<PageName, string> = {
  signup: 'hosted/src/signup-page.ts',
  signin: 'hosted/src/signin-page.ts',
  passkeys: 'hosted/src/passkeys-page.ts',
  recover: 'hosted/src/recover-page.ts',
  'lost-passkey': 'hosted/src/lost-passkey-page.ts',
  'verify-email': 'hosted/src/verify-email-page.ts',
};

export interface HostedAssets extends HostedAssetBundle {
  /** The stylesheet, script and module preloads of a page. */
  forPage(page: PageName): ShellAssets;
  /** `<prefix>/web/src/index.js`: the whole @keyway/web SDK as an ES module. */
  sdk: string;
}

export function buildHostedAssets(): HostedAssets {
  const bundle = buildHostedAssetBundle({
    base: '/_keyway',
    // The whole SDK too, so a relying party's own pages can import @keyway/web from Keyway's origin.
    entries: [...Object.values(PAGE_SCRIPTS), SDK_ENTRY],
    stylesheets: [STYLESHEET],
  });
  const { version, prefix, files } = bundle;
  const pages = new Map<PageName, ShellAssets>();
  for (const [page, entry] of Object.entries(PAGE_SCRIPTS) as [PageName, string][]) {
    const script = jsAssetKey(entry);
    pages.set(page, {
      stylesheet: `${prefix}/${STYLESHEET}`,
      script: `${prefix}/${script}`,
      preload: [...bundle.dependencies(script)].sort().map((key) => `${prefix}/${key}`),
    });
  }
  return { version, prefix, files, forPage: (page) => pages.get(page)!, sdk: `${prefix}/${jsAssetKey(SDK_ENTRY)}` };
}
