import type { FieldProblem } from '../../errors/keyway-error.ts';
import { checkFormDocument, isInput, type FormDocument } from './form-format.ts';
import { VersionedContentService, type ContentKindSpec, type VersionedContentDeps } from './versioned-content.ts';

/** Things a form may mean but probably does not: an input nobody can fill, a form without inputs that persists nothing. */
function formWarnings(form: FormDocument): FieldProblem[] {
  const warnings: FieldProblem[] = [];
  (form.components ?? []).forEach((component, index) => {
    if (isInput(component) && component.readOnly && component.transient) {
      warnings.push({ field: `form.components.${index}`, message: 'read-only and transient: the value is neither editable nor kept' });
    }
  });
  return warnings;
}

export const FORM_SPEC: ContentKindSpec<FormDocument> = {
  kind: 'form',
  noun: 'form',
  notFound: 'FORM_NOT_FOUND',
  alreadyExists: 'FORM_ALREADY_EXISTS',
  versionNotFound: 'FORM_VERSION_NOT_FOUND',
  check: checkFormDocument,
  warnings: formWarnings,
  serialize: (form) => JSON.stringify(form),
  parse: (text) => JSON.parse(text) as FormDocument,
};

/** Custom forms of a tenant (TrustX Custom Data Forms format), versioned; journeys use published versions. */
export class FormService extends VersionedContentService<FormDocument> {
  constructor(deps: VersionedContentDeps) {
    super(deps, FORM_SPEC);
  }
}
