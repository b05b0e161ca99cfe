// The `pattern` of a form's text field, matched in time linear in the value, in the browser and on the server alike
// (journey-forms.ts `checkJourneyValue`, one function for both). The syntax stays JavaScript's with the `v` flag, as
// the HTML `pattern` attribute; what changes is how the whole value is matched.
//
// Why not RegExp#test: it backtracks. Forms are written by tenant operators (Journeys form permissions, not only
// admins) and checked on every submission; (a|a)*b, (\w|\d)*! and \d*\d*\d*! took 5–10 s on 25 to 3,000
// characters, blocking the server for every tenant, and no static screen tells such patterns apart from useful
// ones (safe-regex2, the screen before, let all three through).
// Why not an RE2 port from npm (re2js, pure JS and linear; re2-wasm): RE2's syntax and character semantics are not
// JavaScript's — `.` matches \r and U+2028, `\s` misses U+00A0 and U+FEFF, no `\u{…}`, `\p{Letter}`, `\p{Script=…}` or
// v-flag class operations, its own Unicode tables — so the server would need a translator of its own, and the browser,
// which cannot take a dependency (@keyway/web has none), would still backtrack and could disagree with the server.
// Why not a worker with a time limit: every submission would still burn up to the limit, and the browser would not
// be protected.
// So the pattern is parsed here into the constructs of a regular language (sequence, choice, repetition, anchors)
// and matched as a Thompson NFA with every state at once (Pike's method): O(states) per character, whatever the
// pattern. Each single-character piece (a class, an escape, `.`) is still decided by the native RegExp on that one
// character, so what a piece matches is exactly JavaScript's; only the composition is ours, and the tests compare it
// with the native engine. Lookarounds and backreferences are not regular and are refused, as are modifier groups,
// classes of strings, and patterns expanding to more than PATTERN_MAX_STATES (form-format.ts also caps what a
// form's patterns may cost a submission).

/** The most states a pattern may expand to: each character piece, anchor or choice is one, and a counted repetition repeats its part. */
export const PATTERN_MAX_STATES = 1000;

export interface JourneyPattern {
  /** States of the compiled pattern: the work per character of the value. */
  states: number;
  /** The longest value the pattern can match, in characters (code points); Infinity when unbounded. */
  longest: number;
  /** Whether the whole value matches, as RegExp `^(?:pattern)$` with the `v` flag would answer. */
  matches(value: string): boolean;
}

/** A pattern, or why form fields cannot use it. */
export type CompiledPattern = { pattern: JourneyPattern; problem?: undefined } | { pattern?: undefined; problem: string };

type Assertion = 'start' | 'end' | 'boundary' | 'notBoundary';
type Node =
  | { kind: 'char'; test: (codePoint: number) => boolean }
  | { kind: 'assert'; at: Assertion }
  | { kind: 'sequence'; items: Node[] }
  | { kind: 'choice'; options: Node[] }
  | { kind: 'repeat'; item: Node; min: number; max: number };

class Refused extends Error {}

const NOT_REGULAR = 'which form patterns do not support (they are matched in linear time, so only regular constructs)';
// The v flag's properties of strings match several characters at once; a character piece here matches one.
const STRING_PROPERTIES = new Set([
  'Basic_Emoji',
  'Emoji_Keycap_Sequence',
  'RGI_Emoji',
  'RGI_Emoji_Flag_Sequence',
  'RGI_Emoji_Modifier_Sequence',
  'RGI_Emoji_Tag_Sequence',
  'RGI_Emoji_ZWJ_Sequence',
]);

/** Parses `pattern` (already known to compile with the v flag) into the regular constructs, refusing the others. */
class Parser {
  private at = 0;
  private readonly source: string;
  constructor(source: string) {
    this.source = source;
  }

  parse(): Node {
    const node = this.choice();
    if (this.at < this.source.length) throw new Refused('has a ) without its (');
    return node;
  }

  private peek(offset = 0): string {
    return this.source[this.at + offset] ?? '';
  }

  private choice(): Node {
    const options = [this.sequence()];
    while (this.peek() === '|') {
      this.at++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0]! : { kind: 'choice', options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.at < this.source.length && this.peek() !== '|' && this.peek() !== ')') {
      const item = this.term();
      items.push(this.quantified(item));
    }
    return items.length === 1 ? items[0]! : { kind: 'sequence', items };
  }

  private term(): Node {
    const c = this.peek();
    if (c === '^' || c === '$') {
      this.at++;
      return { kind: 'assert', at: c === '^' ? 'start' : 'end' };
    }
    if (c === '(') return this.group();
    if (c === '[') return this.piece(this.classSource());
    if (c === '.') return this.piece(this.source[this.at++]!);
    if (c === '\\') return this.escape();
    if ('*+?{}])|'.includes(c)) throw new Refused('is not a valid regular expression (JavaScript syntax, v flag)');
    const codePoint = this.source.codePointAt(this.at)!;
    this.at += codePoint > 0xffff ? 2 : 1;
    return { kind: 'char', test: (other) => other === codePoint };
  }

  private group(): Node {
    this.at++;
    if (this.peek() === '?') {
      const next = this.peek(1);
      if (next === '=' || next === '!' || (next === '<' && (this.peek(2) === '=' || this.peek(2) === '!')))
        throw new Refused(`uses a lookahead or lookbehind ((?=, (?!, (?<=, (?<!), ${NOT_REGULAR}`);
      if (next === ':') this.at += 2;
      else if (next === '<') this.at = this.source.indexOf('>', this.at) + 1;
      else throw new Refused('uses a modifier group such as (?i:…), which form patterns do not support');
    }
    const inner = this.choice();
    if (this.peek() !== ')') throw new Refused('has a ( without its )');
    this.at++;
    return inner;
  }

  private escape(): Node {
    const c = this.peek(1);
    if (c === 'b' || c === 'B') {
      this.at += 2;
      return { kind: 'assert', at: c === 'b' ? 'boundary' : 'notBoundary' };
    }
    if ((c >= '1' && c <= '9') || c === 'k') throw new Refused(`uses a backreference (\\1, \\k<name>), ${NOT_REGULAR}`);
    const start = this.at;
    this.at += 2;
    if (c === 'p' || c === 'P') this.property();
    else if (c === 'x') this.at += 2;
    else if (c === 'c') this.at += 1;
    else if (c === 'u') {
      this.unicodeEscape();
      // \uD83D\uDE00 is one character (a surrogate pair), as the v flag reads it.
      const lead = Number.parseInt(this.source.slice(start + 2, this.at), 16);
      if (lead >= 0xd800 && lead <= 0xdbff && /^\\u[dD][c-fC-F][0-9a-fA-F]{2}/.test(this.source.slice(this.at))) this.at += 6;
    } else if (c === '') throw new Refused('is not a valid regular expression (JavaScript syntax, v flag)');
    else this.at += this.source.codePointAt(this.at - 1)! > 0xffff ? 1 : 0;
    return this.piece(this.source.slice(start, this.at));
  }

  private unicodeEscape(): void {
    if (this.peek() === '{') this.at = this.source.indexOf('}', this.at) + 1;
    else this.at += 4;
  }

  /** After `\p` or `\P`: the `{…}`, refusing properties of strings. */
  private property(): void {
    const close = this.source.indexOf('}', this.at);
    if (STRING_PROPERTIES.has(this.source.slice(this.at + 1, close)))
      throw new Refused(`uses a property of strings (such as \\p{RGI_Emoji}), which form patterns do not support: a class matches one character`);
    this.at = close + 1;
  }

  /** The source of a character class, nested classes and set operations included (the v flag's syntax). */
  private classSource(): string {
    const start = this.at;
    let depth = 0;
    do {
      const c = this.peek();
      if (c === '') throw new Refused('has a [ without its ]');
      if (c === '\\') {
        const next = this.peek(1);
        if (next === 'q') throw new Refused(`uses \\q{…}, which form patterns do not support: a class matches one character`);
        this.at += 2;
        if (next === 'p' || next === 'P') this.property();
        else if (next === 'u' && this.peek() === '{') this.unicodeEscape();
        else if (this.source.codePointAt(this.at - 1)! > 0xffff) this.at++;
        continue;
      }
      if (c === '[') depth++;
      if (c === ']') depth--;
      this.at++;
    } while (depth > 0);
    return this.source.slice(start, this.at);
  }

  /** One character decided by the native RegExp: a class, an escape or `.`. */
  private piece(source: string): Node {
    const native = new RegExp(`^(?:${source})$`, 'v');
    // Most values are ASCII: remember those answers (0 unknown, 1 no, 2 yes).
    const ascii = new Uint8Array(128);
    return {
      kind: 'char',
      test: (codePoint) => {
        if (codePoint >= 128) return native.test(String.fromCodePoint(codePoint));
        if (ascii[codePoint] === 0) ascii[codePoint] = native.test(String.fromCharCode(codePoint)) ? 2 : 1;
        return ascii[codePoint] === 2;
      },
    };
  }

  private quantified(item: Node): Node {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*' || c === '+' || c === '?') {
      this.at++;
      [min, max] = c === '*' ? [0, Infinity] : c === '+' ? [1, Infinity] : [0, 1];
    } else if (c === '{') {
      const close = this.source.indexOf('}', this.at);
      const [low, high] = this.source.slice(this.at + 1, close).split(',');
      min = Number(low);
      max = high === undefined ? min : high === '' ? Infinity : Number(high);
      this.at = close + 1;
    } else return item;
    // Lazy or greedy makes no difference to whether the whole value matches.
    if (this.peek() === '?') this.at++;
    // Repeating nothing, as (?:){99999}, is nothing: not that many copies of it.
    if (statesOf(item) === 0) return item;
    return { kind: 'repeat', item, min, max };
  }
}

/** The states `node` compiles to (as `compile` emits them). */
function statesOf(node: Node): number {
  switch (node.kind) {
    case 'char':
    case 'assert':
      return 1;
    case 'sequence':
      return node.items.reduce((sum, item) => sum + statesOf(item), 0);
    case 'choice':
      return node.options.reduce((sum, option) => sum + statesOf(option), 0) + 2 * (node.options.length - 1);
    case 'repeat': {
      const item = statesOf(node.item);
      return node.min * item + (node.max === Infinity ? item + 2 : (node.max - node.min) * (item + 1));
    }
  }
}

function longestOf(node: Node): number {
  switch (node.kind) {
    case 'char':
      return 1;
    case 'assert':
      return 0;
    case 'sequence':
      return node.items.reduce((sum, item) => sum + longestOf(item), 0);
    case 'choice':
      return Math.max(...node.options.map(longestOf));
    case 'repeat': {
      const item = longestOf(node.item);
      return item === 0 ? 0 : item * node.max;
    }
  }
}

const CHAR = 0;
const SPLIT = 1;
const JUMP = 2;
const ASSERT = 3;
const MATCH = 4;
interface Instruction {
  op: number;
  /** CHAR, ASSERT: the next state; SPLIT, JUMP: the (first) target */
  next: number;
  /** SPLIT: the second target */
  other: number;
  test?: (codePoint: number) => boolean;
  at?: Assertion;
}

function compile(root: Node): Instruction[] {
  const program: Instruction[] = [];
  const push = (instruction: Partial<Instruction> & { op: number }) => program.push({ next: program.length + 1, other: -1, ...instruction }) - 1;
  const emit = (node: Node): void => {
    switch (node.kind) {
      case 'char':
        push({ op: CHAR, test: node.test });
        return;
      case 'assert':
        push({ op: ASSERT, at: node.at });
        return;
      case 'sequence':
        node.items.forEach(emit);
        return;
      case 'choice': {
        const jumps: number[] = [];
        node.options.forEach((option, index) => {
          const last = index === node.options.length - 1;
          const split = last ? -1 : push({ op: SPLIT });
          emit(option);
          if (last) return;
          jumps.push(push({ op: JUMP }));
          program[split]!.other = program.length;
        });
        for (const jump of jumps) program[jump]!.next = program.length;
        return;
      }
      case 'repeat': {
        for (let i = 0; i < node.min; i++) emit(node.item);
        if (node.max === Infinity) {
          const split = push({ op: SPLIT });
          emit(node.item);
          push({ op: JUMP, next: split });
          program[split]!.other = program.length;
          return;
        }
        // x{0,3} as (?:x(?:x(?:x)?)?)?: each optional copy may stop the repetition.
        const splits: number[] = [];
        for (let i = node.min; i < node.max; i++) {
          splits.push(push({ op: SPLIT }));
          emit(node.item);
        }
        for (const split of splits) program[split]!.other = program.length;
        return;
      }
    }
  };
  emit(root);
  push({ op: MATCH });
  return program;
}

const isWord = (codePoint: number | undefined) =>
  codePoint !== undefined &&
  ((codePoint >= 0x30 && codePoint <= 0x39) || (codePoint >= 0x41 && codePoint <= 0x5a) || (codePoint >= 0x61 && codePoint <= 0x7a) || codePoint === 0x5f);

/** Every state at once: O(states) per character, so O(states × length) for a value. */
function simulate(program: Instruction[], value: string): boolean {
  const codePoints = Array.from(value, (character) => character.codePointAt(0)!);
  const length = codePoints.length;
  let current = new Int32Array(program.length);
  let next = new Int32Array(program.length);
  let currentCount = 0;
  let nextCount = 0;
  // The position each state was last added at: a state is added at most once per position.
  const addedAt = new Int32Array(program.length).fill(-1);
  const stack: number[] = [];
  // Adds `start` and the states it reaches without a character (choices, jumps, anchors that hold) to `next`.
  const add = (start: number, position: number) => {
    stack.push(start);
    while (stack.length > 0) {
      const state = stack.pop()!;
      if (addedAt[state] === position) continue;
      addedAt[state] = position;
      const instruction = program[state]!;
      if (instruction.op === JUMP) stack.push(instruction.next);
      else if (instruction.op === SPLIT) stack.push(instruction.other, instruction.next);
      else if (instruction.op === ASSERT) {
        if (holds(instruction.at!, codePoints, position)) stack.push(instruction.next);
      } else next[nextCount++] = state;
    }
  };
  add(0, 0);
  for (let position = 0; position <= length; position++) {
    [current, next] = [next, current];
    currentCount = nextCount;
    nextCount = 0;
    if (position === length) break;
    if (currentCount === 0) return false;
    const codePoint = codePoints[position]!;
    for (let i = 0; i < currentCount; i++) {
      const instruction = program[current[i]!]!;
      if (instruction.op === CHAR && instruction.test!(codePoint)) add(instruction.next, position + 1);
    }
  }
  for (let i = 0; i < currentCount; i++) if (program[current[i]!]!.op === MATCH) return true;
  return false;
}

function holds(at: Assertion, codePoints: number[], position: number): boolean {
  if (at === 'start') return position === 0;
  if (at === 'end') return position === codePoints.length;
  const boundary = isWord(codePoints[position - 1]) !== isWord(codePoints[position]);
  return at === 'boundary' ? boundary : !boundary;
}

/** Compiles a form field pattern, or says why form fields cannot use it. Compiling never runs the pattern. */
export function compileJourneyPattern(pattern: string): CompiledPattern {
  try {
    new RegExp(pattern, 'v');
  } catch {
    return { problem: 'is not a valid regular expression (JavaScript syntax, v flag)' };
  }
  let root: Node;
  try {
    root = new Parser(pattern).parse();
  } catch (error) {
    if (error instanceof Refused) return { problem: error.message };
    throw error;
  }
  const states = statesOf(root) + 1;
  if (states > PATTERN_MAX_STATES)
    return {
      problem: `expands to ${Number.isFinite(states) ? states : 'too many'} states, more than ${PATTERN_MAX_STATES}: a counted repetition such as {2,50} repeats its part that many times (for a length limit use minLength and maxLength); simplify it`,
    };
  const program = compile(root);
  return { pattern: { states, longest: longestOf(root), matches: (value) => simulate(program, value) } };
}
