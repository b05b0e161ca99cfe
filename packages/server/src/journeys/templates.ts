import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { serverPackagePath } from '../shared/server-package-dir.ts';
import type { Actor } from '../audit/audit-log.ts';
import { KeywayError, validationError } from '../errors/keyway-error.ts';
import type { Services } from '../services.ts';
import type { JourneyDefinition } from './definition.ts';
import type { Publisher } from './user-acts.ts';

/**
 * Journey templates: the TrustX passkey processes and Mosaic passkey journeys as definitions under
 * ./templates, one JSON file each. Installing one, for an identity store:
 * - fills its settings (relying party, policies) — given, or the store's only one of each;
 * - creates the custom forms it uses when the tenant has none of that name (a form the tenant
 *   already has, perhaps customised, is left alone) and publishes them;
 * - publishes the definition with `store` set and the settings as variable defaults (a new version
 *   only when it differs from the installed one). Step parameters read the store as `${_journey.store}`.
 */
export const TEMPLATE_SETTINGS = ['relyingPartyId', 'registrationPolicy', 'authenticationPolicy'] as const;
export type TemplateSetting = (typeof TEMPLATE_SETTINGS)[number];

export interface JourneyTemplate {
  journeyId: string;
  name: string;
  description: string;
  settings: TemplateSetting[];
  forms: { name: string; body: unknown }[];
  definition: JourneyDefinition;
}

const TEMPLATE_DIR = serverPackagePath('src', 'journeys', 'templates');

export function loadTemplates(): JourneyTemplate[] {
  if (!existsSync(TEMPLATE_DIR)) return [];
  return readdirSync(TEMPLATE_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(path.join(TEMPLATE_DIR, file), 'utf8')) as JourneyTemplate);
}

export type InstallResult = { journeyId: string; version: number; status: 'created' | 'updated' | 'unchanged' };
export type InstallSettings = Partial<Record<TemplateSetting, string>>;

type InstallServices = Pick<Services, 'journeyDefinitions' | 'forms' | 'identity' | 'relyingParties' | 'policies'>;

/** A setting not given: the store's only relying party / policy of that kind, or a 400 naming the setting. */
async function defaultSetting(services: InstallServices, tenantId: string, store: string, setting: TemplateSetting): Promise<string> {
  const page = { limit: 2 };
  const names =
    setting === 'relyingPartyId'
      ? (await services.relyingParties.list(tenantId, store, page)).items.map((rp) => rp.id)
      : setting === 'registrationPolicy'
        ? (await services.policies.listRegistrationPolicies(tenantId, store, page)).items.map((p) => p.name)
        : (await services.policies.listAuthenticationPolicies(tenantId, store, page)).items.map((p) => p.name);
  if (names.length !== 1) {
    throw validationError(
      setting,
      names.length === 0 ? `store ${store} has none; create one first or name it` : `store ${store} has several; name the one to use`,
    );
  }
  return names[0]!;
}

async function installForm(services: InstallServices, actor: Actor, form: { name: string; body: unknown }): Promise<void> {
  try {
    await services.forms.get(actor.tenantId, form.name);
    return;
  } catch (error) {
    if (!(error instanceof KeywayError && error.code === 'FORM_NOT_FOUND')) throw error;
  }
  try {
    const created = await services.forms.create(actor, { name: form.name, description: 'Installed with the journey templates', body: form.body });
    await services.forms.publish(actor, form.name, created.version);
  } catch (error) {
    // Another install created it at the same moment.
    if (!(error instanceof KeywayError && error.code === 'FORM_ALREADY_EXISTS')) throw error;
  }
}

export async function installTemplates(
  services: InstallServices,
  actor: Actor,
  store: string,
  options: {
    only?: string[] | undefined;
    settings?: InstallSettings | undefined;
    /**
     * Who answers for what the templates do to users (user-acts.ts): the caller of the API, or COMMAND_LINE (user-acts.ts)
     * (`keyway journeys install-templates`, the quickstart), which the server's operator runs. Always said, never
     * assumed: a caller that forgot it must not install with the command line's authority.
     */
    publisher: Publisher;
  },
): Promise<InstallResult[]> {
  const { publisher } = options;
  await services.identity.findStore(actor.tenantId, store);
  const templates = loadTemplates();
  const chosen =
    options.only === undefined
      ? templates
      : options.only.map((id) => {
          const template = templates.find((t) => t.journeyId === id);
          if (!template) throw new KeywayError('JOURNEY_NOT_FOUND', `templates: no template ${id}; there are ${templates.map((t) => t.journeyId).join(', ')}`);
          return template;
        });
  // Settings first, for every chosen template: a missing one fails the install before anything is written.
  const settings: InstallSettings = { ...options.settings };
  for (const setting of new Set(chosen.flatMap((t) => t.settings))) {
    settings[setting] ??= await defaultSetting(services, actor.tenantId, store, setting);
  }
  const definitions = chosen.map((template): JourneyDefinition => {
    const variables = { ...template.definition.variables };
    for (const setting of template.settings) variables[setting] = { ...variables[setting], default: settings[setting] };
    return { ...template.definition, store, variables };
  });
  // Everything is checked before anything is written, so a bad template, or one its installer may not publish (it adds
  // users, or signs in a user a form names), cannot leave a partial install.
  for (const [index, template] of chosen.entries()) {
    for (const form of template.forms) {
      const report = services.forms.validate(form.body);
      if (!report.valid)
        throw new KeywayError('JOURNEY_DEFINITION_INVALID', `template ${template.journeyId}: form ${form.name} is not valid`, { errors: report.errors });
    }
    await services.journeyDefinitions.checkInstall(actor.tenantId, template.journeyId, definitions[index]!, publisher);
  }
  const results: InstallResult[] = [];
  for (const [index, template] of chosen.entries()) {
    for (const form of template.forms) await installForm(services, actor, form);
    results.push(await services.journeyDefinitions.installDefinition(actor, template.journeyId, template.name, definitions[index]!, publisher));
  }
  return results;
}
