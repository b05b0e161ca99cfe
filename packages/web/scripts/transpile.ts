// TypeScript source → browser JavaScript with no bundler: Node's own type stripping (the same
// erasable-syntax rule the repository follows), then relative `.ts` specifiers become `.js`.
// Used by the server at start (hosted assets), by the dist build, and by the size report.
import { stripTypeScriptTypes } from 'node:module';

const RELATIVE_TS_SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"\n]+)\.ts\2/g;

/** One module's JavaScript: types erased (whitespace keeps positions), relative `./x.ts` imports as `./x.js`. */
export function transpileModule(source: string): string {
  return rewriteSpecifiers(stripTypeScriptTypes(source, { mode: 'strip' }));
}

/** `from './x.ts'` → `from './x.js'` (also in declaration files, which tsc leaves with `.ts`). */
export function rewriteSpecifiers(code: string): string {
  return code.replace(RELATIVE_TS_SPECIFIER, (_match, keyword: string, quote: string, path: string) => `${keyword}${quote}${path}.js${quote}`);
}
