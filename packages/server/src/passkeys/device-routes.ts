import { Type } from '@sinclair/typebox';
import { BoundDeviceSchema, DeviceIdParam, ListDevicesQuery } from './device-schemas.ts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { PageOf } from '../http/common-schemas.ts';
import { StoreNameSchema, UserIdParam, pathParams } from '../http/path-params.ts';
import { actorOf, principalOf } from '../http/route-config.ts';
import type { Services } from '../services.ts';

/** A user's bound devices (device binding at passkey registration): list, revoke. */
export async function deviceRoutes(fastify: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const devices = services.devices;
  const doc = (summary: string) => ({ tags: ['passkeys'], summary });

  app.get(
    '/stores/:storeName/users/:userId/devices',
    {
      schema: {
        operationId: 'listDevices',
        ...doc('List a user’s bound devices, oldest first (revoked ones too, with revokedAt)'),
        params: pathParams({ storeName: StoreNameSchema, userId: UserIdParam }),
        querystring: ListDevicesQuery,
        response: { 200: PageOf(BoundDeviceSchema) },
      },
      config: { permission: 'IdentityStore:listDevices', errors: ['STORE_NOT_FOUND', 'USER_NOT_FOUND', 'INVALID_CURSOR'] },
    },
    async (request) => devices.list(principalOf(request).tenantId, request.params.storeName, request.params.userId, request.query),
  );

  app.delete(
    '/stores/:storeName/users/:userId/devices/:deviceId',
    {
      schema: {
        operationId: 'revokeDevice',
        ...doc('Revoke a bound device: it is no longer known to Known Device Status and leaves the device_keys claim'),
        params: pathParams({ storeName: StoreNameSchema, userId: UserIdParam, deviceId: DeviceIdParam }),
        response: { 204: Type.Null() },
      },
      config: { permission: 'IdentityStore:revokeDevice', errors: ['STORE_NOT_FOUND', 'USER_NOT_FOUND', 'DEVICE_NOT_FOUND'] },
    },
    async (request, reply) => {
      await devices.revoke(actorOf(request), request.params);
      return reply.code(204).send(null);
    },
  );
}
