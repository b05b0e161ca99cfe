import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.ts';
import { FormDocumentSchema } from './form-format.ts';
import { versionedContentRoutes } from './versioned-content-routes.ts';

// Requests carry the form as any object: the service checks it against FormDocumentSchema
// component by component and names each problem's exact path, which a union schema cannot.
const FormBody = Type.Object({}, { additionalProperties: true, description: 'A custom form (JSON Schema: GET /schemas/custom-form.json)' });

/** Admin API of custom forms under /api/custom-forms, and the format's JSON Schema. */
export async function customFormRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  await versionedContentRoutes(app, {
    service: services.forms,
    base: '/api/custom-forms',
    bodyKey: 'form',
    bodySchema: FormBody,
    permissionNoun: 'Form',
    tag: 'custom forms',
    notFound: 'FORM_NOT_FOUND',
    alreadyExists: 'FORM_ALREADY_EXISTS',
    versionNotFound: 'FORM_VERSION_NOT_FOUND',
  });

  const published = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: '/schemas/custom-form.json',
    title: 'Keyway custom form',
    ...(JSON.parse(JSON.stringify(FormDocumentSchema)) as object),
  };
  app.get(
    '/schemas/custom-form.json',
    {
      schema: {
        operationId: 'getCustomFormSchema',
        tags: ['custom forms'],
        summary: 'The JSON Schema of the custom form format (TrustX Custom Data Forms)',
        response: { 200: Type.Object({}, { additionalProperties: true }) },
      },
    },
    async (_request, reply) => reply.type('application/schema+json').send(published),
  );
}
