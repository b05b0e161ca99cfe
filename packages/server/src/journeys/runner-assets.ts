// The hosted journey runner's static assets: a bundle like the hosted pages' (hosted-asset-bundle.ts)
// under its own content hash (`/_keyway/journey-runner/<version>/…`): the runner script, the
// @keyway/web modules it imports, and the two stylesheets.
import type { RunnerAssets } from '../../../hosted/src/journey-runner-shell.ts';
import { buildHostedAssetBundle, jsAssetKey, type HostedAssetBundle } from '../selfservice/hosted-asset-bundle.ts';

const ENTRY = 'hosted/src/journey-runner.ts';
const STYLESHEETS = ['hosted/src/keyway.css', 'hosted/src/journey-runner.css'];

export interface JourneyRunnerAssets extends HostedAssetBundle {
  page: RunnerAssets;
}

export function buildRunnerAssets(): JourneyRunnerAssets {
  const bundle = buildHostedAssetBundle({ base: '/_keyway/journey-runner', entries: [ENTRY], stylesheets: STYLESHEETS });
  const { version, prefix, files } = bundle;
  const script = jsAssetKey(ENTRY);
  return {
    version,
    prefix,
    files,
    page: {
      stylesheets: STYLESHEETS.map((sheet) => `${prefix}/${sheet}`),
      script: `${prefix}/${script}`,
      preload: [...bundle.dependencies(script)].sort().map((key) => `${prefix}/${key}`),
    },
  };
}
