import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const CLI = path.resolve(import.meta.dirname, '../../src/cli.ts');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Resolves with the exit code or signal once the process has ended. */
  exited: Promise<number | NodeJS.Signals | null>;
  /** Every line the server has written to stdout so far (its logs). */
  stdoutLines: string[];
}

/**
 * Runs `keyway serve` as a real child process on a free port and resolves once it logs that it
 * is serving (no sleeps: we wait for the log line).
 */
export function startServerProcess(env: Record<string, string>, options: { nodeArgs?: readonly string[] } = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', ...(options.nodeArgs ?? []), CLI, 'serve'], {
    env: { ...process.env, PORT: '0', KEYWAY_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const stdoutLines: string[] = [];
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      stdoutLines.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; address?: string };
        if (entry.msg === 'keyway is serving' && entry.address) resolve({ child, url: entry.address, exited, stdoutLines });
      } catch {
        // not a JSON log line
      }
    });
    void exited.then((code) => reject(new Error(`server exited (${String(code)}) before serving: ${stderr}`)));
  });
}

/** Runs a CLI command to completion and returns its stdout. */
export async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}
