// Comments, doc strings, test titles and API descriptions state the rule or fact itself: they do not cite documents
// that live outside the repository (design notes, issue numbers, numbered seed walkthroughs, the style guide), which a
// reader of the code cannot open. Public specifications (WebAuthn §x, RFC nnnn, OpenID Connect) may be cited.
import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../../../..');
const TREES = ['packages/*/src', 'packages/*/test', 'e2e', 'scripts', 'bench'];
const EXTENSIONS = ['ts', 'js', 'mjs', 'json', 'css', 'html'];
/** Third-party code checked in as is (bench/peer is a vendored comparison server), and dependencies. */
const NOT_OURS = ['**/node_modules/**', 'bench/peer/**'];
/** This file names the patterns it looks for, so it would always match itself. */
const THIS_FILE = relative(ROOT, import.meta.filename);

const CITATIONS: { name: string; pattern: RegExp }[] = [
  { name: 'an issue number', pattern: /\bissues? #?\d+/i },
  { name: 'an issue or brief file', pattern: /\b(?:ISSUE|BRIEF)-\d+/ },
  { name: 'the design document', pattern: /\bDESIGN\b/ },
  { name: 'the style guide', pattern: /\bSTYLE(?:\.md|:)/ },
  { name: 'a numbered seed', pattern: /\bseeds? ?\d{3}\b/i },
  { name: 'the seeds', pattern: /\bthe seeds?['’]/i },
];

function sourceFiles(): string[] {
  const patterns = TREES.flatMap((tree) => EXTENSIONS.map((ext) => `${tree}/**/*.${ext}`));
  return globSync(patterns, { cwd: ROOT, exclude: NOT_OURS }).sort();
}

test('no comment, doc string, test title or description cites a document outside the repository', () => {
  const files = sourceFiles();
  assert.ok(files.includes(THIS_FILE), `the scan covers the test trees (found ${files.length} files)`);
  const found: string[] = [];
  for (const file of files) {
    if (file === THIS_FILE) continue;
    readFileSync(resolve(ROOT, file), 'utf8')
      .split('\n')
      .forEach((line, index) => {
        for (const { name, pattern } of CITATIONS) {
          const match = pattern.exec(line);
          if (match) found.push(`${file}:${index + 1}: cites ${name} (“${match[0]}”): state the rule itself`);
        }
      });
  }
  assert.deepEqual(found, []);
});

test('each kind of citation is recognised, and ordinary words are not', () => {
  const cites = (line: string) => CITATIONS.filter(({ pattern }) => pattern.test(line)).map(({ name }) => name);
  assert.deepEqual(cites('// Browser sessions (issue 4 §2): a row per session'), ['an issue number']);
  assert.deepEqual(cites('/** Issue 5 §6: start a journey */'), ['an issue number']);
  assert.deepEqual(cites('// see ISSUE-10.md'), ['an issue or brief file']);
  assert.deepEqual(cites('/** DESIGN A4: identity stores */'), ['the design document']);
  assert.deepEqual(cites('// the recipe in DESIGN.md'), ['the design document']);
  assert.deepEqual(cites('// (STYLE: one place decides)'), ['the style guide']);
  assert.deepEqual(cites('/** Seed 001 “Add User” */'), ['a numbered seed']);
  assert.deepEqual(cites('// TrustX “Simple Decider” (seeds 000/001)'), ['a numbered seed']);
  assert.deepEqual(cites("// the seeds' forms leave every message empty"), ['the seeds']);
  for (const fine of [
    '/** An optional text parameter left blank in the designer counts as not given. */',
    "const STYLESHEET = 'hosted/src/keyway.css';",
    'export function seededRandom(seed: number): () => number {',
    "{ id: 'seed', type: 'general.setVariables' }",
    '// tokens issued by `keyway init`',
    '// WebAuthn §7.2 step 11, RFC 6749 §4.4, OpenID Connect Core §3.1.3.7',
  ]) {
    assert.deepEqual(cites(fine), [], fine);
  }
});
