import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type MasterKeySetting } from '../config/config.ts';
import { MASTER_KEY_FORMAT, generateMasterKeyText, parseMasterKey, type MasterKey } from './master-key.ts';

/** The configured master key; undefined when it is the default key file and that does not exist yet. */
export function configuredMasterKey(setting: MasterKeySetting): MasterKey | undefined {
  if (setting.source !== 'default key file') return setting.key;
  return readKeyFile(setting.file, 'KEYWAY_MASTER_KEY_FILE');
}

/**
 * Writes a new key file, readable by its owner only (mode 0600). Creation is atomic (written
 * aside, then hard-linked into place), so two processes starting at once end up with the same
 * key and no process ever reads a half-written file.
 */
export function createKeyFile(file: string): MasterKey {
  mkdirSync(path.dirname(file), { recursive: true });
  const text = generateMasterKeyText();
  const aside = `${file}.${process.pid}.tmp`;
  writeFileSync(aside, `${text}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(aside, file);
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(file, 'KEYWAY_MASTER_KEY_FILE')!;
    throw error;
  } finally {
    rmSync(aside, { force: true });
  }
  return parseMasterKey(text)!;
}

/** The key in `file`, undefined when there is no such file; a file with anything else in it stops start-up. */
export function readKeyFile(file: string, variable: string): MasterKey | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(variable, 'a readable file holding the master key', file);
  }
  const key = parseMasterKey(text);
  if (!key) throw new ConfigError(variable, `a file holding ${MASTER_KEY_FORMAT}`, `${file} with other content`);
  return key;
}
