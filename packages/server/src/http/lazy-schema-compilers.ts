import { SerializerSelector, type SerializerFactory } from '@fastify/fast-json-stringify-compiler';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Schemas are compiled on first use, not before listening. Fastify asks for every route's validators
 * (Ajv) and response serializers (fast-json-stringify) while it starts; compiling them all took most
 * of the start-up time and a large part of the idle memory, for routes most processes never call.
 * Here each compiler answers a small function that compiles on its first call and then forwards to
 * the compiled one, so the rules are unchanged:
 * - a validator still runs before the handler and refuses exactly as the compiled Ajv function does
 *   (Fastify reads its `errors` and `schemaEnv`, both forwarded);
 * - a serializer is still the fast-json-stringify function of the response schema, which writes only
 *   the declared properties.
 * One schema object is compiled once per application, whichever routes and statuses use it (the
 * problem responses every route declares share one `$ref: 'Problem#'` schema).
 */
export interface SchemaCompilation {
  /** Schemas compiled so far, and schemas handed out but not compiled yet */
  readonly compiled: number;
  readonly pending: number;
  /** Compiles every pending schema now (a test proves every route's schemas compile). */
  compileAll(): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** How many route schemas are compiled (for tests and tooling). */
    schemaCompilation: SchemaCompilation;
  }
}

type Validator = ReturnType<FastifySchemaCompiler<unknown>>;
type Serializer = (data: unknown) => string;
type SerializerBuilder = SerializerFactory;
type ValidatorInput = Parameters<FastifySchemaCompiler<unknown>>[0];

/** A value computed once, on first demand, and counted in `compilation`. */
class Pending<T> {
  #compile: (() => T) | undefined;
  #value: T | undefined;
  constructor(compile: () => T) {
    this.#compile = compile;
  }
  get done(): boolean {
    return this.#compile === undefined;
  }
  get value(): T {
    if (this.#compile !== undefined) {
      this.#value = this.#compile();
      this.#compile = undefined; // the schema's closure is no longer needed
    }
    return this.#value as T;
  }
}

export interface LazySchemaCompilers {
  /** For `app.setValidatorCompiler`: wraps the eager compiler given. */
  validatorCompiler: FastifySchemaCompiler<unknown>;
  /** For the `schemaController.compilersFactory.buildSerializer` server option (receives the shared `$ref` schemas). */
  buildSerializer: SerializerBuilder;
  compilation: SchemaCompilation;
}

export function lazySchemaCompilers(
  compileValidator: FastifySchemaCompiler<unknown>,
  buildEagerSerializer: SerializerBuilder = SerializerSelector(),
): LazySchemaCompilers {
  const all: Pending<unknown>[] = [];
  const track = <T>(pending: Pending<T>) => (all.push(pending as Pending<unknown>), pending);

  // Keyed by schema object and request part: body validation differs from query/params (coercion).
  const validators = new WeakMap<object, Map<string, Pending<Validator>>>();
  const validatorCompiler: FastifySchemaCompiler<unknown> = (input: ValidatorInput) => {
    const { schema, httpPart } = input;
    const byPart = schema !== null && typeof schema === 'object' ? (validators.get(schema) ?? new Map<string, Pending<Validator>>()) : undefined;
    if (byPart && schema !== null && typeof schema === 'object') validators.set(schema, byPart);
    const key = String(httpPart);
    let pending = byPart?.get(key);
    if (!pending) {
      pending = track(new Pending(() => compileValidator(input)));
      byPart?.set(key, pending);
    }
    return lazyValidator(pending);
  };

  // Serializers depend on the schema and on the shared schemas it may `$ref`; Fastify builds a compiler per
  // plugin context, all with the same shared schemas here, so one cache serves every context with those.
  const caches: { externals: Record<string, unknown>; serializers: WeakMap<object, Pending<Serializer>> }[] = [];
  const buildSerializer: SerializerBuilder = (externalSchemas, serializerOptions) => {
    const externals = (externalSchemas ?? {}) as Record<string, unknown>;
    let cache = caches.find((c) => sameSchemas(c.externals, externals));
    if (!cache) caches.push((cache = { externals, serializers: new WeakMap() }));
    const { serializers } = cache;
    const compile = buildEagerSerializer(externalSchemas, serializerOptions);
    return (input) => {
      const schema = input.schema as object;
      let pending = serializers.get(schema);
      if (!pending) {
        pending = track(new Pending<Serializer>(() => compile(input)));
        serializers.set(schema, pending);
      }
      const serialize = pending;
      return (data: unknown) => serialize.value(data);
    };
  };

  const compilation: SchemaCompilation = {
    get compiled() {
      return all.filter((p) => p.done).length;
    },
    get pending() {
      return all.filter((p) => !p.done).length;
    },
    compileAll() {
      for (const pending of all) void pending.value;
    },
  };
  return { validatorCompiler, buildSerializer, compilation };
}

/**
 * Fastify calls an Ajv validator with the request part and, when the function has a `schemaEnv`, with its parent
 * (so Ajv can replace a coerced root value); it reads `errors` after a refusal. Both are the compiled function's.
 */
function lazyValidator(pending: Pending<Validator>): Validator {
  const validate = ((data: unknown, context?: unknown) => (pending.value as (data: unknown, context?: unknown) => unknown)(data, context)) as Validator;
  Object.defineProperty(validate, 'errors', { get: () => (pending.value as { errors?: unknown }).errors });
  Object.defineProperty(validate, 'schemaEnv', { get: () => (pending.value as { schemaEnv?: unknown }).schemaEnv });
  return validate;
}

function sameSchemas(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}
