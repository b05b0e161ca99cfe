import { createQueryId, type Compilable, type Kysely, type QueryResult } from 'kysely';
import type { RootOperationNode } from 'kysely';
import type { Schema } from './schema.ts';

type Db = Kysely<Schema>;

/** Where each compiled parameter comes from: a value of the call (its name) or a constant of the query. */
type Slot = { value: string } | { constant: unknown };

interface Template {
  sql: string;
  query: RootOperationNode;
  slots: Slot[];
}

const MARKER_PREFIX = '\u0000keyway-value-';
const marker = (name: string) => `${MARKER_PREFIX}${name}\u0000`;

/**
 * A statement built and compiled once per database engine, then run with new values each time.
 *
 * Building a statement with Kysely (its operation tree, then the SQL text) costs several microseconds — more than
 * SQLite takes to run a point lookup — and one sign-in sends about twenty. So the statements of the sign-in and
 * sign-up paths are built once: `build` is called with markers in place of its named values, and each run puts its
 * values where the markers came out among the compiled parameters. `build` must therefore use each value as it is, as
 * a value: not transform it, not branch on it, not write it into SQL text. The first compile checks that every
 * marker came out as a parameter of its own (and that no value was missing), and fails otherwise, so a builder that
 * breaks this rule never runs. Values are never undefined: an absent one is null.
 */
export class PrecompiledQuery<Values extends Record<string, unknown>, Row> {
  readonly #build: (db: Db, values: Values) => Compilable<Row>;
  /** Per engine (Kysely's adapter, shared by a database handle and its transactions) */
  readonly #templates = new WeakMap<object, Template>();

  constructor(build: (db: Db, values: Values) => Compilable<Row>) {
    this.#build = build;
  }

  async execute(db: Db, values: Values): Promise<QueryResult<Row>> {
    // getExecutor() is marked internal in Kysely's typings; its adapter is the one object that says which engine
    // (and so which SQL) a handle or transaction speaks.
    const executor = db.getExecutor();
    // Kysely plugins transform each query as it is built (tests record statements so): built every time there.
    if (executor.plugins.length > 0) return db.executeQuery(this.#build(db, values));
    const template = this.#template(db, executor.adapter, values);
    const parameters = template.slots.map((slot) => ('value' in slot ? defined(values[slot.value], slot.value) : slot.constant));
    return db.executeQuery<Row>({ sql: template.sql, query: template.query, queryId: createQueryId(), parameters });
  }

  /** The rows a select (or a write with RETURNING) answers. */
  async rows(db: Db, values: Values): Promise<Row[]> {
    return (await this.execute(db, values)).rows;
  }

  /** The first row, or undefined. */
  async first(db: Db, values: Values): Promise<Row | undefined> {
    return (await this.execute(db, values)).rows[0];
  }

  /** How many rows a write changed. */
  async run(db: Db, values: Values): Promise<number> {
    return Number((await this.execute(db, values)).numAffectedRows ?? 0n);
  }

  #template(db: Db, engine: object, values: Values): Template {
    let template = this.#templates.get(engine);
    if (template === undefined) {
      template = this.#compile(db, Object.keys(values));
      this.#templates.set(engine, template);
    }
    return template;
  }

  #compile(db: Db, names: readonly string[]): Template {
    const byMarker = new Map(names.map((name) => [marker(name), name]));
    const markers = Object.fromEntries(names.map((name) => [name, marker(name)])) as Values;
    const compiled = this.#build(db, markers).compile();
    const seen = new Set<string>();
    const slots = compiled.parameters.map((parameter): Slot => {
      if (typeof parameter === 'string' && parameter.includes(MARKER_PREFIX)) {
        const name = byMarker.get(parameter);
        if (name === undefined) throw new TypeError(`a precompiled query changed one of its values: ${compiled.sql}`);
        seen.add(name);
        return { value: name };
      }
      if (parameter === undefined) throw new TypeError(`a precompiled query used a value it was not given: ${compiled.sql}`);
      return { constant: parameter };
    });
    if (seen.size !== names.length || compiled.sql.includes(MARKER_PREFIX)) {
      throw new TypeError(`a precompiled query must use each of its values (${names.join(', ')}) as a parameter: ${compiled.sql}`);
    }
    return { sql: compiled.sql, query: compiled.query, slots };
  }
}

function defined(value: unknown, name: string): unknown {
  if (value === undefined) throw new TypeError(`a precompiled query was run without its value ${name}`);
  return value;
}

/** A statement built once (see PrecompiledQuery); `build` names its values as parameters. */
export function precompiled<Values extends Record<string, unknown>, Row>(build: (db: Db, values: Values) => Compilable<Row>): PrecompiledQuery<Values, Row> {
  return new PrecompiledQuery(build);
}
