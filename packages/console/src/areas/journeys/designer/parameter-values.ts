// Parameter values as the side panel's text fields show them, and back: typed by the parameter's JSON Schema.

export interface PropertySchema {
  type?: string;
  enum?: unknown[];
  anyOf?: PropertySchema[];
  description?: string;
  default?: unknown;
}

/** The JSON types a property accepts (anyOf flattened). */
export function typesOf(schema: PropertySchema): string[] {
  if (schema.anyOf) return schema.anyOf.flatMap(typesOf);
  if (schema.enum) return [...new Set(schema.enum.map((v) => (v === null ? 'null' : typeof v)))];
  return schema.type ? [schema.type] : ['string'];
}

/** The text in a field as the value the schema wants; an expression stays a string (the engine evaluates it). */
export function fromText(text: string, schema: PropertySchema): unknown {
  if (text === '') return undefined;
  if (text.includes('${')) return text;
  const types = typesOf(schema);
  if (types.includes('boolean') && (text === 'true' || text === 'false')) return text === 'true';
  if ((types.includes('integer') || types.includes('number')) && !types.includes('string') && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}

export function toText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
