import { Type, type TSchema } from '@sinclair/typebox';

export const PageQuery = Type.Object(
  {
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);

/**
 * Collections answer `{items, nextCursor}`; `nextCursor` is null on the last page.
 * A page of a named schema is named after it (`UserPage`), so it is one component in the OpenAPI document.
 */
export function PageOf<T extends TSchema>(item: T) {
  const name = item.title ?? item.$id;
  return Type.Object(
    { items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) },
    typeof name === 'string' ? { title: `${name}Page` } : {},
  );
}
