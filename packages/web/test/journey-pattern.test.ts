// Form field patterns are matched in linear time (journey-pattern.ts): the patterns that froze the server for
// seconds answer 10,000-character values, correctly; every pattern forms can use matches exactly what the native
// RegExp `^(?:pattern)$` (v flag) matches, over a fixed matrix and over seeded random patterns; the constructs
// that are not regular, and patterns that expand too far, are refused with the reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkJourneyValue, type JourneyFieldRules } from '../src/journey-forms.ts';
import { compileJourneyPattern, PATTERN_MAX_STATES, type JourneyPattern } from '../src/journey-pattern.ts';

function compiled(pattern: string): JourneyPattern {
  const result = compileJourneyPattern(pattern);
  assert.ok(result.pattern, `${pattern}: ${result.problem}`);
  return result.pattern;
}

const native = (pattern: string, value: string) => new RegExp(`^(?:${pattern})$`, 'v').test(value);

test('the patterns of the ReDoS report answer 10,000-character values, and answer them right', () => {
  const cases: [pattern: string, refused: string, accepted: string][] = [
    ['(a|a)*b', 'a'.repeat(10_000), `${'a'.repeat(9_999)}b`],
    ['(\\w|\\d)*!', '1'.repeat(10_000), `${'1'.repeat(9_999)}!`],
    ['\\d*\\d*\\d*!', '1'.repeat(10_000), `${'1'.repeat(9_999)}!`],
    ['(a+)+b', 'a'.repeat(10_000), `${'a'.repeat(9_999)}b`],
    ['(.|a)*!', 'a'.repeat(10_000), `${'a'.repeat(9_999)}!`],
    ['[a-z]*[a-z]*[a-z]*[a-z]*!', 'a'.repeat(10_000), `${'a'.repeat(9_999)}!`],
  ];
  for (const [pattern, refused, accepted] of cases) {
    const { matches } = compiled(pattern);
    assert.equal(matches(refused), false, pattern);
    assert.equal(matches(accepted), true, pattern);
    // The browser's check and the server's (one function): the length rule first, then the pattern.
    const rules: JourneyFieldRules = { type: 'text', value: '', readOnly: false, required: true, maxLength: 10_000, pattern };
    assert.equal(checkJourneyValue(rules, refused).code, 'invalid', pattern);
    assert.equal(checkJourneyValue(rules, accepted).code, undefined, pattern);
  }
});

// Each line: a pattern and values to compare with the native engine (every value against every pattern).
const MATRIX: string[] = [
  '[0-9]{5}',
  '[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}',
  '[^@\\s]+@[^@\\s]+\\.[a-z]{2,63}',
  '(?:[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}',
  '.',
  '.*',
  '\\s+',
  '\\S*',
  '\\w+\\b.*',
  '\\Ba\\B.*|.*\\bb',
  '^a$|^$',
  'a|',
  '(a*)*',
  '(?:a?){3}b',
  'a{2,}',
  'a{0,2}?b+?',
  '(?<first>\\p{Lu})\\p{Ll}*',
  '\\p{L}+|\\P{L}+',
  '\\p{Script=Greek}+',
  '\\p{General_Category=Decimal_Number}+',
  '[\\p{L}--[a-z]]+',
  '[\\w&&[a-f]]+',
  '[[a-z]--[aeiou]]+',
  '[^\\d\\s]*',
  '\\u{1F600}|\\uD83D\\uDE00x',
  '😀+',
  '[😀é]+',
  'é{2}',
  '\\x41\\u0042\\cJ?\\t?',
  '\\0?\\/\\.\\*\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\',
  '[\\-\\]]+',
  'a(?:b|c(?:d|e)*)+f',
];
const VALUES = [
  '',
  'a',
  'b',
  'aa',
  'aab',
  'ab',
  'abcdef',
  'acdedef',
  '12345',
  '1234',
  '123456',
  'DE89370400440532013000',
  'name@example.com',
  'mail.example.co.uk',
  ' ',
  '\t\u00a0\ufeff\u2028',
  '\r',
  '\n',
  'word other',
  'Ελληνικά',
  'Émile',
  'bcdfg',
  'abcf',
  '😀',
  '😀😀',
  '\ud83d',
  '\ud83d\ude00x',
  'éé',
  'AB\n\t',
  'AB',
  '\u0000/.*?()[]{}|^$\\',
  '/.*?()[]{}|^$\\',
  '-]-',
  '٣٤',
];

test('matches exactly what the native RegExp matches (v flag, the whole value)', () => {
  for (const pattern of MATRIX) {
    const { matches } = compiled(pattern);
    for (const value of VALUES) assert.equal(matches(value), native(pattern, value), `${pattern} on ${JSON.stringify(value)}`);
  }
});

test('seeded random patterns: the same answers as the native RegExp', () => {
  let seed = 20_260_101;
  const next = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
    return seed % n;
  };
  const pick = <T>(items: T[]): T => items[next(items.length)]!;
  const atoms = ['a', 'b', '.', '\\d', '\\w', '\\s', '\\S', '[ab]', '[^a]', '[\\w--\\d]', '[[a-c]&&[b-d]]', '\\p{L}', '\\u{61}', 'é', '😀', '-', ' '];
  const quantifiers = ['*', '+', '?', '{2}', '{0,2}', '{1,}', '*?', '{1,3}?'];
  const generate = (depth: number): string => {
    const choice = next(10);
    if (depth > 3 || choice < 3) return pick(atoms);
    if (choice < 5) return generate(depth + 1) + generate(depth + 1);
    if (choice < 6) return `(?:${generate(depth + 1)}|${generate(depth + 1)})`;
    if (choice < 7) return `(${generate(depth + 1)})${pick(quantifiers)}`;
    if (choice < 8) return pick(atoms) + pick(quantifiers);
    if (choice < 9) return pick(['^', '$', '\\b', '\\B']) + generate(depth + 1);
    return `(?<g${depth}>${generate(depth + 1)})`;
  };
  const alphabet = ['a', 'b', '1', ' ', 'é', '😀', 'A', '_'];
  let agreedOnMatch = 0;
  for (let round = 0; round < 3_000; round++) {
    const pattern = generate(0);
    const { matches, longest } = compiled(pattern);
    for (let sample = 0; sample < 30; sample++) {
      let value = '';
      for (let length = next(5); length > 0; length--) value += pick(alphabet);
      const expected = native(pattern, value);
      assert.equal(matches(value), expected, `${pattern} on ${JSON.stringify(value)}`);
      if (!expected) continue;
      agreedOnMatch++;
      assert.ok([...value].length <= longest, `${pattern} matched ${JSON.stringify(value)}, longer than its longest ${longest}`);
    }
  }
  assert.ok(agreedOnMatch > 4_000, `enough matching values to mean something (${agreedOnMatch})`);
});

test('what forms cannot use is refused with the reason', () => {
  const refusals: [pattern: string, problem: string][] = [
    ['[0-9', 'is not a valid regular expression (JavaScript syntax, v flag)'],
    ['a)|(b', 'is not a valid regular expression (JavaScript syntax, v flag)'],
    ['a{,5}', 'is not a valid regular expression (JavaScript syntax, v flag)'],
    [
      '(?=.*[0-9]).{8,}',
      'uses a lookahead or lookbehind ((?=, (?!, (?<=, (?<!), which form patterns do not support (they are matched in linear time, so only regular constructs)',
    ],
    [
      '(?!admin).*',
      'uses a lookahead or lookbehind ((?=, (?!, (?<=, (?<!), which form patterns do not support (they are matched in linear time, so only regular constructs)',
    ],
    [
      '.*(?<=x)',
      'uses a lookahead or lookbehind ((?=, (?!, (?<=, (?<!), which form patterns do not support (they are matched in linear time, so only regular constructs)',
    ],
    [
      '.*(?<!x)',
      'uses a lookahead or lookbehind ((?=, (?!, (?<=, (?<!), which form patterns do not support (they are matched in linear time, so only regular constructs)',
    ],
    ['(a)\\1', 'uses a backreference (\\1, \\k<name>), which form patterns do not support (they are matched in linear time, so only regular constructs)'],
    [
      '(?<x>a)\\k<x>',
      'uses a backreference (\\1, \\k<name>), which form patterns do not support (they are matched in linear time, so only regular constructs)',
    ],
    ['(?i:abc)', 'uses a modifier group such as (?i:…), which form patterns do not support'],
    ['[\\q{abc}x]', 'uses \\q{…}, which form patterns do not support: a class matches one character'],
    ['\\p{RGI_Emoji}', 'uses a property of strings (such as \\p{RGI_Emoji}), which form patterns do not support: a class matches one character'],
    [
      '[\\p{RGI_Emoji_Flag_Sequence}]',
      'uses a property of strings (such as \\p{RGI_Emoji}), which form patterns do not support: a class matches one character',
    ],
    [
      'a{1000}',
      `expands to 1001 states, more than ${PATTERN_MAX_STATES}: a counted repetition such as {2,50} repeats its part that many times (for a length limit use minLength and maxLength); simplify it`,
    ],
    [
      '(?:[a-z]{1,100}){1,100}',
      `expands to 20000 states, more than ${PATTERN_MAX_STATES}: a counted repetition such as {2,50} repeats its part that many times (for a length limit use minLength and maxLength); simplify it`,
    ],
    [
      '(?:(?:a{0,1000}){0,1000}){0,1000}',
      `expands to 2001001001 states, more than ${PATTERN_MAX_STATES}: a counted repetition such as {2,50} repeats its part that many times (for a length limit use minLength and maxLength); simplify it`,
    ],
  ];
  for (const [pattern, problem] of refusals) assert.deepEqual(compileJourneyPattern(pattern), { problem }, pattern);
  assert.equal(compiled('a{999}').states, 1000, 'the bound is inclusive');
  const nothing = compiled('(?:(?:)(?:a{0})){99999999999}');
  assert.deepEqual([nothing.states, nothing.matches(''), nothing.matches('a')], [1, true, false], 'repeating nothing costs nothing');
});

test('a stored pattern forms can no longer use refuses every value rather than passing it, in the browser and on the server alike', () => {
  const rules: JourneyFieldRules = { type: 'text', value: '', readOnly: false, required: false, maxLength: 100, pattern: '(?=.*[0-9]).{8,}' };
  assert.equal(checkJourneyValue(rules, 'abcdefg1').code, 'invalid');
  assert.equal(checkJourneyValue(rules, '').code, undefined, 'an optional field left empty is still fine');
});

test('the size and reach of a pattern: what a form pays for it', () => {
  assert.deepEqual(pick(compiled('[0-9]{5}')), { states: 6, longest: 5 });
  assert.deepEqual(pick(compiled('(?:ab|c)?d')), { states: 8, longest: 3 });
  assert.deepEqual(pick(compiled('^\\b(?:)*$')), { states: 4, longest: 0 });
  assert.deepEqual(pick(compiled('[a-z]+')), { states: 5, longest: Infinity });
});

const pick = ({ states, longest }: JourneyPattern) => ({ states, longest });
