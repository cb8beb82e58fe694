// Shared test helpers: fd-leak checks, code run in worker threads and in child
// processes, polling waits, and views of threads through /proc. Real system calls,
// real threads, real signals: nothing here mocks anything.
//
// Tests run from the compiled JavaScript in dist/test, so every path is resolved from
// there (dist/lib is the library under test), on x86_64 and under qemu-user (aarch64)
// alike. Timeouts are generous: emulation is ~5x slower and these machines are noisy.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, type TestContext } from 'node:test';
import { Worker } from 'node:worker_threads';
import { emulation, sanitizer } from '../../lib/tools/environment';

/** The compiled library under test (dist/lib), as workers and children require it. */
export const LIB_PATH = path.resolve(__dirname, '..', '..', 'lib');

/** Default per-test timeout for node:test (`test(name, { timeout: TEST_TIMEOUT }, fn)`). */
export const TEST_TIMEOUT = 120_000;

/** Default patience of waitFor, workers and children: long, never a latency assertion. */
export const WAIT_MS = 60_000;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------
// waiting

export interface WaitOptions {
  /** How long to keep trying (default WAIT_MS). */
  timeoutMs?: number;
  /** Pause between tries (default 5 ms). */
  intervalMs?: number;
  /** Named in the timeout error. */
  what?: string;
}

/**
 * Calls `predicate` (sync or async) until it returns a truthy value, and resolves with
 * that value; rejects once `timeoutMs` has passed. Exceptions from `predicate` propagate.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  timeoutMsOrOptions: number | WaitOptions = {},
): Promise<NonNullable<T>> {
  const o = typeof timeoutMsOrOptions === 'number' ? { timeoutMs: timeoutMsOrOptions } : timeoutMsOrOptions;
  const timeoutMs = o.timeoutMs ?? WAIT_MS;
  const intervalMs = o.intervalMs ?? 5;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value as NonNullable<T>;
    if (Date.now() >= deadline) {
      throw new Error(`waitFor: timed out after ${timeoutMs} ms${o.what ? `: ${o.what}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** Resolves or rejects like `promise`, or rejects after `ms` naming `what`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------
// file descriptors

/** The open descriptors of this process and what they point to (`readlink`). */
export function listFds(): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of fs.readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // closed meanwhile, e.g. the directory handle readdirSync used
    }
    out.set(Number(name), target);
  }
  return out;
}

/**
 * How many descriptors this process has open now: the entries of /proc/self/fd, less the
 * one the listing itself holds open while it reads the directory.
 */
export function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length - 1;
}

/** Whether `fd` is open in this process. */
export function isFdOpen(fd: number): boolean {
  return fs.existsSync(`/proc/self/fd/${fd}`);
}

/** The fields of /proc/self/fdinfo/<fd> ("flags" is octal text, e.g. "02004002"). */
export function fdInfo(fd: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n')) {
    const m = /^([\w-]+):\s*(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** The open(2) flags of `fd` (O_NONBLOCK, O_CLOEXEC, ...) from /proc/self/fdinfo. */
export function fdFlags(fd: number): number {
  return parseInt(fdInfo(fd).flags, 8);
}

/** How `after` differs from `before`, or '' when they are the same table. */
function fdChange(before: Map<number, string>, after: Map<number, string>): string {
  const opened = [...after].filter(([fd, t]) => before.get(fd) !== t).map(([fd, t]) => `${fd} -> ${t}`);
  const closed = [...before].filter(([fd, t]) => after.get(fd) !== t).map(([fd, t]) => `${fd} -> ${t}`);
  if (opened.length === 0 && closed.length === 0) return '';
  return `left open: [${opened.join(', ')}]; closed: [${closed.join(', ')}]`;
}

/**
 * Asserts that the code run by `fn` leaves the descriptor table as it found it (waiting up
 * to `settleMs` for threads that are still winding down), and returns what `fn` returned.
 */
export async function assertNoFdLeak<T>(fn: () => T | Promise<T>, settleMs = WAIT_MS): Promise<T> {
  const before = listFds();
  const value = await fn();
  await expectFdsBack(before, settleMs);
  return value;
}

async function expectFdsBack(before: Map<number, string>, settleMs: number): Promise<void> {
  let change = '';
  try {
    await waitFor(() => (change = fdChange(before, listFds())) === '', { timeoutMs: settleMs, intervalMs: 10 });
  } catch {
    assert.fail(`the descriptor table changed: ${change}`);
  }
}

/**
 * Registers beforeEach/afterEach hooks in the current file or suite: every test must
 * leave as many descriptors open as it found. Workers and children a test started must
 * be gone by then; the hook waits `settleMs` for them to wind down.
 */
export function leakCheck(settleMs = WAIT_MS): void {
  let before = new Map<number, string>();
  beforeEach(() => {
    before = listFds();
  });
  afterEach(async () => {
    await expectFdsBack(before, settleMs);
  });
}

// ---------------------------------------------------------------------------------------
// cleanup inside the test body
//
// node:test runs afterEach hooks (where leakCheck looks) before the test's own t.after()
// hooks, so what a test opens must be released inside the test function: scoped() does
// that, whatever the test's outcome.

/** What a scoped test opened, released in reverse order when its body ends. */
export class Scope {
  #cleanups: Array<() => unknown> = [];
  #fds = new Set<number>();

  /** Runs `fn` when the test body ends (last registered, first run). */
  defer(fn: () => unknown): void {
    this.#cleanups.push(fn);
  }

  /** Closes `fd` when the test ends, unless the test closes it first with close(). */
  fd(fd: number): number {
    this.#fds.add(fd);
    this.defer(() => {
      if (this.#fds.delete(fd)) fs.closeSync(fd);
    });
    return fd;
  }

  /** fd() for each of `fds`. */
  fds<A extends number[]>(...fds: A): A {
    for (const fd of fds) this.fd(fd);
    return fds;
  }

  /** Closes a descriptor registered with fd() now (with fs.closeSync, not the code under test). */
  close(fd: number): void {
    if (!this.#fds.delete(fd)) throw new Error(`fd ${fd} is not in this scope`);
    fs.closeSync(fd);
  }

  /** Forgets `fd`: the test closed it itself (with the code under test). */
  forget(fd: number): void {
    this.#fds.delete(fd);
  }

  /** Terminates `w` when the test ends, unless it has exited by then. */
  worker<W extends TestWorker>(w: W): W {
    this.defer(async () => {
      if (!w.hasExited) await w.terminate();
    });
    return w;
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const fn of this.#cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'several cleanups failed');
  }
}

/**
 * A test function whose body gets a Scope (and the TestContext): everything registered in
 * it is released when the body ends, before leakCheck's afterEach hook looks.
 */
export function scoped(body: (scope: Scope, t: TestContext) => unknown): (t: TestContext) => Promise<void> {
  return async (t: TestContext) => {
    const scope = new Scope();
    try {
      await body(scope, t);
    } catch (e) {
      await scope.run().catch(() => {}); // the test's own failure is the one to report
      throw e;
    }
    await scope.run();
  };
}

// ---------------------------------------------------------------------------------------
// threads, through /proc

/** The kernel thread ids of this process, in /proc/self/task order. */
export function threadIds(): number[] {
  return fs.readdirSync('/proc/self/task').map(Number);
}

/** Whether thread `tid` of this process still exists. */
export function threadExists(tid: number): boolean {
  return fs.existsSync(`/proc/self/task/${tid}`);
}

/** The fields of /proc/self/task/<tid>/status. */
export function threadStatus(tid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(`/proc/self/task/${tid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** The scheduler state letter of thread `tid`: 'R' running, 'S' asleep, ... */
export function threadState(tid: number): string {
  return threadStatus(tid).State[0];
}

/** The members of a hexadecimal /proc signal set ("SigBlk: 0000000000000800" -> [12]). */
export function parseSigset(hex: string): number[] {
  const bits = BigInt(`0x${hex}`);
  const out: number[] = [];
  for (let signo = 1; signo <= 64; signo++) if (bits & (1n << BigInt(signo - 1))) out.push(signo);
  return out;
}

/**
 * The signals thread `tid` blocks, as the kernel sees them (SigBlk). Correct under
 * qemu-user too; SigCgt is not (qemu installs its own handlers), so nothing here reads it.
 */
export function threadBlocked(tid: number): number[] {
  return parseSigset(threadStatus(tid).SigBlk);
}

/**
 * Waits until thread `tid` is asleep in the kernel. A worker that posts a message and then
 * calls a blocking function without returning to its event loop is asleep in that call
 * once this resolves (a worker idle in its event loop is asleep too: order it with a
 * message first).
 */
export async function waitForThreadAsleep(tid: number, timeoutMs = WAIT_MS): Promise<void> {
  await waitFor(() => threadState(tid) === 'S', { timeoutMs, what: `thread ${tid} asleep` });
}

// ---------------------------------------------------------------------------------------
// worker threads

type Lib = typeof import('../../lib');

/** What a body run by startWorker/runInWorker receives. */
export interface WorkerContext<D = any> {
  /** The compiled library (dist/lib) and its sys layer, loaded in the worker. */
  lib: Lib;
  sys: Lib['sys'];
  /** The `data` given to startWorker, structured-cloned. */
  data: D;
  /** Posts `value` to the main thread (TestWorker.next() receives it). */
  send(value: unknown): void;
  /** The next value the main thread sent with TestWorker.post(). */
  receive(): Promise<any>;
  require: NodeRequire;
}

/**
 * Code for a worker:
 *  - a function `(ctx) => value` whose source is sent to the worker (it must use nothing
 *    but its argument and globals: it does not close over the test file's scope);
 *  - a string: the body of such a function, with `lib, sys, data, send, receive` in scope;
 *  - { file }: a module, absolute or relative to dist/test, whose export is such a function.
 */
export type WorkerCode<D = any> = ((ctx: WorkerContext<D>) => unknown) | string | { file: string };

function bodySource(code: WorkerCode): string {
  if (typeof code === 'function') return `(${code.toString()})`;
  if (typeof code === 'string') {
    return `(async ({ lib, sys, data, send, receive, require }) => {\n${code}\n})`;
  }
  const file = path.resolve(__dirname, '..', code.file);
  return `((m) => (typeof m === 'function' ? m : m.default))(require(${JSON.stringify(file)}))`;
}

// Runs in the worker: loads the library, wires send/receive, runs the body and posts its
// result (or its error, with code/errno/syscall kept) as the last message.
const WORKER_PRELUDE = `
const { parentPort, workerData } = require('node:worker_threads');
const lib = require(workerData.libPath);
const inbox = [];
const waiters = [];
parentPort.on('message', (m) => {
  const w = waiters.shift();
  if (w) w(m);
  else inbox.push(m);
  if (waiters.length === 0) parentPort.unref();
});
parentPort.unref();
function receive() {
  if (inbox.length > 0) return Promise.resolve(inbox.shift());
  parentPort.ref();
  return new Promise((resolve) => waiters.push(resolve));
}
function send(value) {
  parentPort.postMessage({ kind: 'message', value });
}
function describe(e) {
  if (!(e instanceof Error)) return { message: String(e) };
  return { name: e.name, message: e.message, stack: e.stack, code: e.code, errno: e.errno, syscall: e.syscall };
}
const ctx = { lib, sys: lib.sys, data: workerData.data, send, receive, require };
Promise.resolve()
  .then(() => (BODY)(ctx))
  .then(
    (value) => parentPort.postMessage({ kind: 'result', value }),
    (error) => parentPort.postMessage({ kind: 'error', error: describe(error) }),
  );
`;

export interface WorkerOptions {
  /** How long next()/result/runInWorker wait (default WAIT_MS). */
  timeoutMs?: number;
  /** Passed to the Worker: transferList for `data`, resourceLimits, ... */
  transferList?: readonly any[];
  name?: string;
}

interface WorkerError {
  name?: string;
  message: string;
  stack?: string;
  code?: string;
  errno?: number;
  syscall?: string;
}

function reviveError(e: WorkerError): Error {
  const error = new Error(`in worker: ${e.message}`) as NodeJS.ErrnoException;
  if (e.name) error.name = e.name;
  if (e.stack) error.stack = `${error.name}: in worker: ${e.stack}`;
  if (e.code !== undefined) error.code = e.code;
  if (e.errno !== undefined) error.errno = e.errno;
  if (e.syscall !== undefined) error.syscall = e.syscall;
  return error;
}

/** A worker thread running a WorkerCode body, with a message queue in each direction. */
export class TestWorker<R = any> {
  readonly worker: Worker;
  /** The body's return value; rejects with its error, or if the worker exits without one. */
  readonly result: Promise<R>;
  /** The exit code, once the thread has stopped. */
  readonly exited: Promise<number>;
  readonly timeoutMs: number;
  #queue: unknown[] = [];
  #waiters: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  #ended: Error | null = null;
  #exited = false;
  #settled = false;

  constructor(code: WorkerCode, data?: unknown, options: WorkerOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? WAIT_MS;
    this.worker = new Worker(WORKER_PRELUDE.replace('BODY', bodySource(code)), {
      eval: true,
      name: options.name,
      workerData: { libPath: LIB_PATH, data },
      transferList: options.transferList as any,
    });
    let settle!: { resolve: (v: R) => void; reject: (e: Error) => void };
    this.result = new Promise<R>((resolve, reject) => {
      settle = { resolve, reject };
    });
    this.result.catch(() => {}); // observed through `result` or runInWorker; never unhandled
    this.exited = new Promise<number>((resolve) =>
      this.worker.once('exit', (code: number) => {
        this.#exited = true;
        resolve(code);
      }),
    );
    this.worker.on('message', (m: { kind: string; value?: unknown; error?: WorkerError }) => {
      if (m.kind === 'message') this.#deliver(m.value);
      else if (m.kind === 'result') {
        this.#settled = true;
        settle.resolve(m.value as R);
        this.#end(new Error('the worker finished before sending this message'));
      } else if (m.kind === 'error') {
        this.#settled = true;
        const error = reviveError(m.error!);
        settle.reject(error);
        this.#end(error);
      }
    });
    this.worker.on('error', (e: Error) => {
      settle.reject(e);
      this.#end(e);
    });
    this.worker.once('exit', (code: number) => {
      const e = new Error(`the worker exited (code ${code}) before finishing`);
      settle.reject(e);
      this.#end(e);
    });
  }

  /** Whether the body has returned or thrown (its result message has arrived). */
  get settled(): boolean {
    return this.#settled;
  }

  /** Whether the thread has stopped (its 'exit' event has fired). */
  get hasExited(): boolean {
    return this.#exited;
  }

  /** The kernel thread id is not known here: have the body send sys.gettid(). */
  get threadId(): number {
    return this.worker.threadId;
  }

  #deliver(value: unknown): void {
    const w = this.#waiters.shift();
    if (w) w.resolve(value);
    else this.#queue.push(value);
  }

  #end(error: Error): void {
    if (this.#ended) return;
    this.#ended = error;
    for (const w of this.#waiters.splice(0)) w.reject(error);
  }

  /** The next value the body sent with send(). */
  next<T = any>(timeoutMs = this.timeoutMs): Promise<T> {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift() as T);
    if (this.#ended) return Promise.reject(this.#ended);
    const p = new Promise<T>((resolve, reject) => {
      this.#waiters.push({ resolve: resolve as (v: unknown) => void, reject });
    });
    return withTimeout(p, timeoutMs, 'a message from the worker');
  }

  /** Sends `value` to the body's receive(). */
  post(value: unknown): void {
    this.worker.postMessage(value);
  }

  /** The body's result, and the thread gone. */
  async done(timeoutMs = this.timeoutMs): Promise<R> {
    const value = await withTimeout(this.result, timeoutMs, 'the worker result');
    await withTimeout(this.exited, timeoutMs, 'the worker exit');
    return value;
  }

  /** Stops the worker (at its next JavaScript instruction) and waits for the thread to end. */
  async terminate(timeoutMs = this.timeoutMs): Promise<number> {
    return withTimeout(this.worker.terminate(), timeoutMs, 'worker.terminate()');
  }
}

/** Starts `code` in a new worker thread with `data`. */
export function startWorker<R = any, D = any>(code: WorkerCode<D>, data?: D, options?: WorkerOptions): TestWorker<R> {
  return new TestWorker<R>(code, data, options);
}

/** Runs `code` in a new worker thread and resolves with what it returned, once it has exited. */
export function runInWorker<R = any, D = any>(code: WorkerCode<D>, data?: D, options?: WorkerOptions): Promise<R> {
  return startWorker<R, D>(code, data, options).done();
}

// ---------------------------------------------------------------------------------------
// child processes

/** What a body run by runChild receives. */
export interface ChildContext<D = any> {
  lib: Lib;
  sys: Lib['sys'];
  data: D;
  /** Records `value` (JSON) in ChildResult.reports; written to stdout at once. */
  report(value: unknown): void;
  require: NodeRequire;
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

// ---------------------------------------------------------------------------------------
// assertions

/** An expected Node-style system error: `EBADF: bad file descriptor, close`. */
export function systemError(code: string, syscall: string, errno: number, text: string) {
  return (e: unknown): true => {
    assert.ok(e instanceof Error, `expected an Error, got ${String(e)}`);
    const err = e as NodeJS.ErrnoException;
    assert.equal(err.constructor, Error);
    assert.equal(err.message, `${code}: ${text}, ${syscall}`);
    assert.equal(err.code, code);
    assert.equal(err.errno, errno);
    assert.equal(err.syscall, syscall);
    return true;
  };
}

/** An expected argument error: a TypeError ERR_INVALID_ARG_TYPE or RangeError ERR_OUT_OF_RANGE. */
export function argError(kind: 'type' | 'range', message?: string | RegExp) {
  return (e: unknown): true => {
    if (kind === 'type') {
      assert.ok(e instanceof TypeError, `expected a TypeError, got ${String(e)}`);
      assert.equal((e as NodeJS.ErrnoException).code, 'ERR_INVALID_ARG_TYPE');
    } else {
      assert.ok(e instanceof RangeError, `expected a RangeError, got ${String(e)}`);
      assert.equal((e as NodeJS.ErrnoException).code, 'ERR_OUT_OF_RANGE');
    }
    if (typeof message === 'string') assert.equal((e as Error).message, message);
    else if (message) assert.match((e as Error).message, message);
    return true;
  };
}

/** Runs `fn`, returns the error it throws (fails if it throws nothing). */
export function catchError(fn: () => unknown): NodeJS.ErrnoException {
  try {
    fn();
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  assert.fail('expected an exception');
}

/**
 * The error Node's own JavaScript validators throw for `value` as an fd: the reference our
 * argument errors are compared with. The callback fs.read checks its fd that way (synchronously,
 * before any I/O) on every supported Node; fs.writeSync does not from Node 22 (its checks are
 * C++ there and word some values differently: no 1_000 separators, no function names).
 */
export function nodeFdError(value: unknown): NodeJS.ErrnoException {
  return catchError(() => fs.read(value as never, Buffer.alloc(1), 0, 1, null, () => {}));
}

// ---------------------------------------------------------------------------------------
// controls: positive controls that need real hardware, and budgets in events

/**
 * Why the memory-ordering controls (store buffering, the unfenced protocol) cannot run in
 * this process: emulated (qemu-user runs guest threads with the host's ordering, or
 * serialised) or instrumented (a sanitizer runtime changes the timing). null: they must run.
 */
export function controlBarrier(): string | null {
  const emulated = emulation();
  if (emulated) return `emulated (${emulated})`;
  const instrumented = sanitizer();
  return instrumented ? `instrumented (${instrumented})` : null;
}

/**
 * Marks the test skipped because its control cannot run here. The reason starts with
 * "control not run", which .ci/run counts and refuses on real hardware.
 */
export function controlNotRun(t: TestContext, why: string): void {
  t.skip(`control not run: ${why}`);
}

/** Marks the test skipped because its budget of events ran out before the control could tell. */
export function couldNotTell(t: TestContext, why: string): void {
  t.skip(`could not tell: ${why}`);
}
