// What `keyway` does before any command runs: parse the command line, answer help and version,
// load the configuration and, for `serve`, check the port. Only then are the commands (and with
// them Fastify, Kysely and the rest) loaded, so every mistake here is told in milliseconds; they come
// from the server's bundle when it is up to date, else from the sources (server-bundle.ts).
import type * as Commands from '../commands.ts';
import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import { parseCommandLine, UsageError, type Invocation } from './arguments.ts';
import { EXIT_CONFIG, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE } from './exit-codes.ts';
import { portProblem } from './port-check.ts';
import { commandsModuleSpecifier } from './server-bundle.ts';
import { keywayVersion } from '../shared/version.ts';
import { USAGE } from './usage.ts';

/** Runs one command; resolves with the exit code, or undefined for a server that keeps running. */
export async function main(argv: readonly string[]): Promise<number | undefined> {
  let invocation: Invocation;
  try {
    invocation = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // Without any command the whole usage helps most; after a mistake, one line says where to find it.
    const more = argv.length === 0 ? `\n${USAGE}` : 'Run "npx keyway --help" for the commands and their options.';
    process.stderr.write(`keyway: ${error.message}\n${more}\n`);
    return EXIT_USAGE;
  }
  if (invocation.command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  if (invocation.command === 'version') {
    process.stdout.write(`keyway ${keywayVersion()}\n`);
    return EXIT_OK;
  }
  if (invocation.command === 'keys generate-master') {
    const { generateMasterKeyText } = await import('../secrets/master-key.ts');
    process.stdout.write(`${generateMasterKeyText()}\n`);
    return EXIT_OK;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`configuration error: ${error.message}\n`);
    return EXIT_CONFIG;
  }
  if (invocation.command === 'serve') {
    const problem = await portProblem(config.host, config.port);
    if (problem !== undefined) {
      process.stderr.write(`keyway: ${problem}\n`);
      return EXIT_RUNTIME;
    }
  }
  const { runCommand, failureOf } = (await import(commandsModuleSpecifier())) as typeof Commands;
  try {
    return await runCommand(invocation, config);
  } catch (error) {
    const failure = failureOf(error);
    process.stderr.write(`${failure.message}\n`);
    return failure.exitCode;
  }
}
