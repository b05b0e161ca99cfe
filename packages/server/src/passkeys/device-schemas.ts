import { Type } from '@sinclair/typebox';

/** The shapes of bound devices in the admin and self-service APIs. */

export const DeviceIdParam = Type.String({ pattern: '^[0-9a-f]{16}[A-Za-z0-9_-]{10}$', description: 'The bound device’s id' });

export const BoundDeviceSchema = Type.Object(
  {
    id: Type.String({ description: 'The binding’s id' }),
    keyId: Type.String({ description: 'RFC 7638 JWK thumbprint of the device key: the value in the ID token’s device_keys' }),
    credentialId: Type.Union([Type.String(), Type.Null()], { description: 'The passkey registered with the binding (base64url)' }),
    publicKey: Type.Object(
      { kty: Type.Literal('EC'), crv: Type.Literal('P-256'), x: Type.String(), y: Type.String() },
      { description: 'The device’s public key (JWK)' },
    ),
    createdAt: Type.String({ format: 'date-time' }),
    lastSeenAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Last proven (registration or Known Device Status)' }),
    revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Set when revoked: no longer known, not in device_keys' }),
  },
  { title: 'BoundDevice' },
);

export const ListDevicesQuery = Type.Object(
  {
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);
