// Chromium for the e2e tests, plus the apt-get helper the test harness uses to self-provision on Debian.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const CHROMIUM_PATH = '/usr/bin/chromium';
const APT_LOCK_RETRY_MS = 5_000;
const APT_LOCK_MAX_WAIT_MS = 15 * 60_000;

/** Path of Debian's Chromium, installing it first when we are root on Debian. */
export async function ensureChromium(): Promise<string> {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (canAptInstall()) {
    await aptGetInstall('chromium');
    if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  }
  throw new Error(`Chromium not found at ${CHROMIUM_PATH}. The e2e tests need Debian's Chromium: run "sudo apt-get install chromium".`);
}

/** Only root on Debian can provision missing system packages itself; everyone else gets told what to install. */
export function canAptInstall(): boolean {
  return process.getuid?.() === 0 && existsSync('/etc/debian_version');
}

/** `apt-get update` + `apt-get install -y <pkg>`, waiting (bounded) while another apt/dpkg holds the lock. */
export async function aptGetInstall(pkg: string): Promise<void> {
  await aptGet(['update']);
  await aptGet(['install', '-y', pkg]);
}

async function aptGet(args: string[]): Promise<void> {
  const deadline = Date.now() + APT_LOCK_MAX_WAIT_MS;
  for (;;) {
    console.error(`[test-support] apt-get ${args.join(' ')}`);
    const { code, stderr } = await runApt(args);
    if (code === 0) return;
    const locked = /could not get lock|unable to acquire|unable to lock/i.test(stderr);
    if (!locked || Date.now() > deadline) throw new Error(`apt-get ${args.join(' ')} failed with exit code ${code}`);
    console.error(`[test-support] apt is locked by another process; retrying in ${APT_LOCK_RETRY_MS / 1000}s`);
    await sleep(APT_LOCK_RETRY_MS);
  }
}

// apt's stdout goes to our stderr so that stdout stays reserved for the test report.
function runApt(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('apt-get', args, {
      stdio: ['ignore', 2, 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}
