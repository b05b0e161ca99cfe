import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.ts';
import { FormDocumentSchema, LANGUAGE_TAG_PATTERN, type FormDocument } from './form-format.ts';
import { presentForm } from './form-presentation.ts';
import { ValidationReportSchema, versionedContentRoutes } from './versioned-content-routes.ts';

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

  // The console's form builder draws its live preview from exactly what the journey runner would be sent.
  const PreviewBody = Type.Object(
    {
      form: FormBody,
      locale: Type.Optional(Type.String({ pattern: LANGUAGE_TAG_PATTERN, maxLength: 35, description: 'The language to present the form in; default en' })),
    },
    { additionalProperties: false },
  );
  app.post(
    '/api/custom-forms/preview',
    {
      schema: {
        operationId: 'previewCustomForm',
        tags: ['custom forms'],
        summary: 'Present a form as the journey runner receives it, without saving it (200 with the problems found, if any)',
        body: PreviewBody,
        response: {
          200: Type.Object({
            ...ValidationReportSchema.properties,
            presented: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], {
              description: "The form resolved for the locale, with each field's rules and messages, as a form step sends it; null when the form is not valid",
            }),
          }),
        },
      },
      config: { permission: 'Journeys:validateForm' },
    },
    async (request) => {
      const { form, locale } = request.body as { form: unknown; locale?: string };
      const report = services.forms.validate(form);
      return { ...report, presented: report.valid ? presentForm(form as FormDocument, { name: 'preview', version: 0, locale: locale ?? 'en' }) : null };
    },
  );

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
