/** The `shield` command in a child process, as a user runs it (TypeScript sources through tsx). */
import { spawn } from 'node:child_process';

export const SHIELD_MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

export interface ShieldRun {
  /** The exit code; null when the process was killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ShieldRunOptions {
  /** Killed (SIGKILL) after this long; default 80 s. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Sees stderr as it grows, with a way to stop the process (SIGTERM), e.g. once a server is up. */
  onStderr?: (stderr: string, stop: () => void) => void;
}

export function runShield(args: string[], options: ShieldRunOptions = {}): Promise<ShieldRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SHIELD_MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(stderr, () => child.kill('SIGTERM'));
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 80_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
