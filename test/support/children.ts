// Child processes: one runner for code run in a child Node (runChild), one for a program read
// until its first JSON line (startJson), one for a command run to completion (runNode); every
// child is reaped (stopChild).
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { LIB_PATH, LibContext, WAIT_MS } from './env';

/** What a body run by runChild receives. */
export interface ChildContext<D = any> extends LibContext<D> {
  /** Records `value` (JSON) in ChildResult.reports; written to stdout at once. */
  report(value: unknown): void;
}

export type ChildCode<D = any> = ((ctx: ChildContext<D>) => unknown) | string;

export interface ChildResult {
  /** Exit status, or null when a signal ended the child. */
  code: number | null;
  /** The signal that ended the child ('SIGIO'), or null. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The values the child passed to report(), in order. */
  reports: any[];
}

const REPORT_TAG = '@@aio-test-report ';

const CHILD_PRELUDE = `
const lib = require(process.env.AIO_TEST_LIB);
const data = JSON.parse(process.env.AIO_TEST_DATA);
function report(value) {
  require('node:fs').writeSync(1, ${JSON.stringify(REPORT_TAG)} + JSON.stringify(value) + '\\n');
}
Promise.resolve()
  .then(() => (BODY)({ lib, sys: lib.sys, data, report, require }))
  .catch((e) => { console.error(e); process.exitCode = 70; });
`;

let spawnProbe: boolean | undefined;

/**
 * Whether this Node can start a child Node. Under qemu-user without binfmt (each test file
 * run in-process) the kernel cannot exec the aarch64 binary, so tests that need a child
 * skip themselves: `test(name, { skip: childSkip() }, ...)`.
 */
export function canSpawnNode(): boolean {
  if (spawnProbe === undefined) {
    const r = spawnSync(process.execPath, ['-e', 'process.exitCode = 42'], { stdio: 'ignore', timeout: 120_000 });
    spawnProbe = r.status === 42;
  }
  return spawnProbe;
}

/** A `skip` option for node:test: false where child processes work, else the reason. */
export function childSkip(): string | false {
  return canSpawnNode() ? false : 'this Node cannot spawn a child Node here (qemu-user without binfmt)';
}

/**
 * Runs `code` in a child Node process (for what must be observed from outside: a process
 * killed by a signal, process-wide dispositions) and resolves once it has ended, however
 * it ended. A child still running after `timeoutMs` is killed with SIGKILL and reported so.
 */
export function runChild<D = any>(
  code: ChildCode<D>,
  data?: D,
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ChildResult> {
  const body =
    typeof code === 'function'
      ? `(${code.toString()})`
      : `(async ({ lib, sys, data, report, require }) => {\n${code}\n})`;
  const timeoutMs = options.timeoutMs ?? 4 * WAIT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CHILD_PRELUDE.replace('BODY', body)], {
      env: { ...process.env, ...options.env, AIO_TEST_LIB: LIB_PATH, AIO_TEST_DATA: JSON.stringify(data ?? null) },
      // stdin is a pipe, not 'ignore': Node keeps the /dev/null it opens for 'ignore'
      // open for good, which a leak check would take for a leak.
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`child still running after ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`));
        return;
      }
      const reports: unknown[] = [];
      const rest: string[] = [];
      for (const line of stdout.split('\n')) {
        if (line.startsWith(REPORT_TAG)) reports.push(JSON.parse(line.slice(REPORT_TAG.length)));
        else rest.push(line);
      }
      resolve({ code, signal, stdout: rest.join('\n'), stderr, reports });
    });
  });
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
export async function startJson<T>(args: string[], timeoutMs = WAIT_MS, options: StartOptions = {}): Promise<Started<T>> {
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
    await stopChild(child);
    throw error;
  }
}

/** Sends `signal` (default SIGTERM), then SIGKILL after 15 s; resolves once the child has exited. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

export interface RunNodeOptions {
  env?: NodeJS.ProcessEnv;
  /** The working directory (default: this process's). */
  cwd?: string;
  /** Killed after this long (default 4 x WAIT_MS). */
  timeoutMs?: number;
  /** Run as this user and group (root only), e.g. nobody: 65534. */
  uid?: number;
  gid?: number;
}

/** Runs `node args...` to completion (synchronously). */
export function runNode(args: string[], options: RunNodeOptions = {}) {
  const { env = process.env, cwd, timeoutMs = 4 * WAIT_MS, uid, gid } = options;
  return spawnSync(process.execPath, args, { encoding: 'utf8', env, cwd, timeout: timeoutMs, uid, gid });
}
