// Child processes for the tests: the CLI (dist/bin/aio-notify.js) and fixtures, started with
// this Node, read until their first JSON line, and always reaped.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

export const CLI = join(__dirname, '..', '..', 'bin', 'aio-notify.js');
export const FIXTURES = join(__dirname, '..', 'fixtures');

let spawnable: boolean | undefined;
/** False where this Node cannot start itself (qemu-user without binfmt: the test runs in-process). */
export function canSpawnNode(): boolean {
  spawnable ??= spawnSync(process.execPath, ['-e', '0'], { timeout: 60_000 }).status === 0;
  return spawnable;
}

export interface Started<T> {
  child: ChildProcess;
  info: T;
}

export interface StartOptions {
  /** The program to run (default: this Node). */
  command?: string;
  /** Give the child a stdin pipe (child.stdin) instead of none. */
  stdin?: boolean;
}

/** Starts `node args...` (or `command args...`) and resolves with its first stdout line, parsed as JSON. */
export async function startJson<T>(args: string[], timeoutMs = 60_000, options: StartOptions = {}): Promise<Started<T>> {
  const child = spawn(options.command ?? process.execPath, args, { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const line = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before a line: ${err}`)));
    setTimeout(() => reject(new Error(`no line from child within ${timeoutMs} ms: ${err}`)), timeoutMs).unref();
  });
  try {
    return { child, info: JSON.parse(await line) as T };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

/** SIGTERM, then SIGKILL after 15 s; resolves once it has exited. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Runs `node args...` to completion. */
export function runNode(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 240_000) {
  return spawnSync(process.execPath, args, { encoding: 'utf8', env, timeout: timeoutMs });
}
