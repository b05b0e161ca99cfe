// Preloaded with `node --import` into a CLI process under test: writes the URL of every module the
// process loaded to the file named by KEYWAY_TEST_MODULE_LOG when it exits, so a test can tell
// that `--help` or a usage error answered without loading the server (Fastify, Kysely, …).
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded: string[] = [];
registerHooks({
  load(url, context, nextLoad) {
    loaded.push(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => {
  if (process.env.KEYWAY_TEST_MODULE_LOG) writeFileSync(process.env.KEYWAY_TEST_MODULE_LOG, loaded.join('\n'));
});
