// The command line, parsed and checked before anything heavy loads: a typo, a missing or an
// invalid value is answered at once, with exit code 2, without opening the database.
import { parseArgs } from 'node:util';
import { didYouMeanSuffix } from '../shared/did-you-mean.ts';
import { TENANT_ID_PATTERN } from '../tenancy/permissions.ts';
import { OPERATOR_ROLES as ROLES, isOperatorRole, type OperatorRole } from '../console/operator-roles.ts';

export type Invocation =
  | { command: 'help' }
  | { command: 'version' }
  | { command: 'serve' }
  | { command: 'migrate' }
  | { command: 'init'; tenant: string; name: string }
  | { command: 'quickstart'; tenant: string; store: string; origins: string[]; page: string | undefined }
  | {
      command: 'journeys install-templates';
      tenant: string;
      store: string | undefined;
      relyingParty: string | undefined;
      registrationPolicy: string | undefined;
      authenticationPolicy: string | undefined;
    }
  | { command: 'console invite'; tenant: string; role: OperatorRole }
  | { command: 'keys generate-master' }
  | { command: 'keys rotate-master'; newKeyFile: string };

/** The command line is wrong: the message says what and how to put it right. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const COMMANDS = ['serve', 'migrate', 'init', 'quickstart', 'journeys', 'console', 'keys', 'help'] as const;
const SUBCOMMANDS: Record<string, readonly string[]> = {
  journeys: ['install-templates'],
  console: ['invite'],
  keys: ['generate-master', 'rotate-master'],
};

/** The defaults `keyway quickstart` uses when no option names others. */
export const QUICKSTART_DEFAULTS = { tenant: 'acme', store: 'customers', origin: 'http://localhost:3000' } as const;

// A store name as the API accepts it (the `storeName` path parameter).
const STORE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const TENANT_ID = new RegExp(TENANT_ID_PATTERN);

type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

/**
 * Options of one command. Unknown options get a suggestion; `node:util`'s messages (written for
 * programmers) are replaced by ones that name the command.
 */
function options<T extends OptionSpec>(command: string, args: string[], spec: T) {
  const known = Object.keys(spec).map((name) => `--${name}`);
  for (const arg of args) {
    if (!arg.startsWith('-') || arg === '-') continue;
    const name = arg.split('=')[0]!;
    if (!known.includes(name)) {
      throw new UsageError(
        `${command}: unknown option ${name}${didYouMeanSuffix(name, known)}${known.length > 0 ? `; it takes ${known.join(', ')}` : '; it takes no options'}`,
      );
    }
  }
  try {
    return parseArgs({ args, options: spec, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const name = known.find((option) => (error as Error).message.includes(option)) ?? 'an option';
      throw new UsageError(`${command}: ${name} needs a value`);
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const extra = args.find((arg) => !arg.startsWith('-') && !isValueOf(arg, args, spec));
      throw new UsageError(`${command}: unexpected argument ${JSON.stringify(extra ?? args.at(-1))}`);
    }
    throw error;
  }
}

function isValueOf(arg: string, args: string[], spec: OptionSpec): boolean {
  const previous = args[args.indexOf(arg) - 1];
  return previous !== undefined && previous.startsWith('--') && !previous.includes('=') && spec[previous.slice(2)]?.type === 'string';
}

/** A tenant id: missing and invalid are told apart, and an invalid one gets a valid spelling to try. */
function tenantId(command: string, value: string | undefined, fallback?: string): string {
  if (value === undefined || value === '') {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`${command}: --tenant <id> is missing: the tenant to use, e.g. --tenant acme`);
  }
  if (TENANT_ID.test(value)) return value;
  const slug = value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  const hint = slug !== '' && TENANT_ID.test(slug) ? ` (try --tenant ${slug})` : '';
  throw new UsageError(
    `${command}: --tenant ${JSON.stringify(value)} is invalid: a tenant id is 1 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit${hint}`,
  );
}

function storeName(command: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (STORE_NAME.test(value)) return value;
  throw new UsageError(
    `${command}: --store ${JSON.stringify(value)} is invalid: a store name is 1 to 64 letters, digits, _ and -, starting with a letter or digit`,
  );
}

/** The quickstart's relying party is `localhost`, so the page's origin must be on localhost. */
function localhostOrigin(command: string, value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname === 'localhost' && url.origin === value) return value;
  throw new UsageError(
    `${command}: --origin ${JSON.stringify(value)} is invalid: the origin your page is served from, exactly as the browser writes it, on localhost (the quickstart's relying party), e.g. http://localhost:3000`,
  );
}

function subcommand(command: string, sub: string | undefined): string {
  const known = SUBCOMMANDS[command]!;
  if (sub === undefined || sub.startsWith('-')) throw new UsageError(`${command}: a subcommand is missing: ${known.join(' or ')}`);
  if (!known.includes(sub)) throw new UsageError(`${command}: unknown subcommand ${sub}${didYouMeanSuffix(sub, known)}; try ${known.join(' or ')}`);
  return sub;
}

/** argv (without node and the script) → what to run; a UsageError when the command line is wrong. */
export function parseCommandLine(argv: readonly string[]): Invocation {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('a command is missing');
  if (command === '--version' || command === '-v' || command === 'version') return { command: 'version' };
  if (command === 'help' || command === '--help' || command === '-h' || rest.includes('--help') || rest.includes('-h')) return { command: 'help' };
  switch (command) {
    case 'serve':
    case 'migrate':
      options(command, rest, {});
      return { command };
    case 'init': {
      const values = options(command, rest, { tenant: { type: 'string' }, name: { type: 'string' } });
      return { command, tenant: tenantId(command, values.tenant), name: values.name ?? 'admin' };
    }
    case 'quickstart': {
      const values = options(command, rest, {
        tenant: { type: 'string' },
        store: { type: 'string' },
        origin: { type: 'string', multiple: true },
        page: { type: 'string' },
      });
      if (values.page === '') throw new UsageError('quickstart: --page needs a file name, e.g. --page my-app/index.html');
      return {
        command,
        tenant: tenantId(command, values.tenant, QUICKSTART_DEFAULTS.tenant),
        store: storeName(command, values.store) ?? QUICKSTART_DEFAULTS.store,
        origins: (values.origin ?? [QUICKSTART_DEFAULTS.origin]).map((origin) => localhostOrigin(command, origin)),
        page: values.page,
      };
    }
    case 'journeys': {
      const sub = subcommand(command, rest[0]);
      const name = `${command} ${sub}`;
      const values = options(name, rest.slice(1), {
        tenant: { type: 'string' },
        store: { type: 'string' },
        'relying-party': { type: 'string' },
        'registration-policy': { type: 'string' },
        'authentication-policy': { type: 'string' },
      });
      return {
        command: 'journeys install-templates',
        tenant: tenantId(name, values.tenant),
        store: storeName(name, values.store),
        relyingParty: values['relying-party'],
        registrationPolicy: values['registration-policy'],
        authenticationPolicy: values['authentication-policy'],
      };
    }
    case 'console': {
      subcommand(command, rest[0]);
      const name = 'console invite';
      const values = options(name, rest.slice(1), { tenant: { type: 'string' }, role: { type: 'string' } });
      const tenant = tenantId(name, values.tenant);
      const role = values.role;
      if (role === undefined || role === '') throw new UsageError(`${name}: --role <role> is missing: one of ${ROLES.join(', ')}`);
      if (!isOperatorRole(role)) {
        throw new UsageError(`${name}: --role ${JSON.stringify(role)} is invalid${didYouMeanSuffix(role, ROLES)}: one of ${ROLES.join(', ')}`);
      }
      return { command: 'console invite', tenant, role };
    }
    case 'keys': {
      const sub = subcommand(command, rest[0]);
      if (sub === 'generate-master') {
        options('keys generate-master', rest.slice(1), {});
        return { command: 'keys generate-master' };
      }
      const values = options('keys rotate-master', rest.slice(1), { 'new-key-file': { type: 'string' } });
      if (!values['new-key-file']) {
        throw new UsageError('keys rotate-master: --new-key-file <path> is missing: a file holding the new master key (created if absent)');
      }
      return { command: 'keys rotate-master', newKeyFile: values['new-key-file'] };
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}${didYouMeanSuffix(command, COMMANDS)}`);
  }
}
