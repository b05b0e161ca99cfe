// Prints what browsers download: the @keyway/web SDK and each hosted page's JavaScript and CSS, raw and
// gzipped, exactly as the server serves them (the same in-memory assets, gzip level 9).
// Run: npm run size -w @keyway/web
import { gzipSync } from 'node:zlib';
import { PAGE_NAMES } from '../../hosted/src/shells.ts';
import { buildRunnerAssets } from '../../server/src/journeys/runner-assets.ts';
import { buildHostedAssets } from '../../server/src/selfservice/hosted-assets.ts';

const assets = buildHostedAssets();
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const rows: [string, number, number][] = [];

type Files = [string, { body: Buffer; gzip: Buffer }][];
const sizeRows = (label: string, files: Files) => {
  const raw = files.reduce((n, [, f]) => n + f.body.length, 0);
  rows.push([`${label} (${files.length} modules, each gzipped)`, raw, files.reduce((n, [, f]) => n + f.gzip.length, 0)]);
  rows.push([`${label} (concatenated, gzipped)`, raw, gzipSync(Buffer.concat(files.map(([, f]) => f.body)), { level: 9 }).length]);
};
const sdk: Files = [...assets.files].filter(([key]) => key.startsWith('web/src/'));
// The self-service client is what the hosted pages load: every SDK module but the journey client (and the index).
sizeRows(
  '@keyway/web self-service client',
  sdk.filter(([key]) => !/\/(journey[^/]*|index)\.js$/.test(key)),
);
// The hosted pages never load the journey client: measure it (and what it imports) from the runner's bundle.
const journeyClient: Files = [...buildRunnerAssets().files].filter(([key]) => key.startsWith('web/src/'));
sizeRows('@keyway/web/journey client with its imports', journeyClient);

const css = assets.files.get('hosted/src/keyway.css')!;
rows.push(['hosted pages CSS (keyway.css)', css.body.length, css.gzip.length]);
for (const page of PAGE_NAMES) {
  const shell = assets.forPage(page);
  const keys = [shell.script!, ...shell.preload].map((url) => url.slice(assets.prefix.length + 1));
  const own = keys.filter((key) => key.startsWith('hosted/'));
  const all = [...new Set(keys)].map((key) => assets.files.get(key)!);
  const ownFiles = own.map((key) => assets.files.get(key)!);
  rows.push([`${page} page JS, own modules (${own.length})`, ownFiles.reduce((n, f) => n + f.body.length, 0), ownFiles.reduce((n, f) => n + f.gzip.length, 0)]);
  rows.push([
    `${page} page JS + CSS, everything it loads (${all.length + 1} files)`,
    all.reduce((n, f) => n + f.body.length, 0) + css.body.length,
    all.reduce((n, f) => n + f.gzip.length, 0) + css.gzip.length,
  ]);
}

const width = Math.max(...rows.map(([name]) => name.length));
process.stdout.write(`${'asset'.padEnd(width)}  ${'raw'.padStart(10)}  ${'gzip'.padStart(10)}\n`);
for (const [name, raw, gzip] of rows) process.stdout.write(`${name.padEnd(width)}  ${kb(raw).padStart(10)}  ${kb(gzip).padStart(10)}\n`);
process.stdout.write(`asset version ${assets.version}\n`);
