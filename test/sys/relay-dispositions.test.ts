// sys: the signal relay shares process-wide dispositions with Node and libuv (issue 8, class
// "process-wide signal state restored stale or overwritten"; docs/robustness.md, "Signal
// dispositions"). libuv installs its handler when the first uv_signal of a signal starts
// (process.on(signal), child_process's SIGCHLD watcher) and SIG_DFL when the last one stops. The
// relay must: put back on close only a handler it displaced, and only if its own is still
// installed; chain to the handler current now, not the one it saw at open; take the signal back
// when another handler replaced its own, and count it (handlerReplaced).
//
// Each scenario runs in a child process: the failure modes are a death by SIGIO and a child
// process whose exit is never seen. Dispositions are read from /proc/self/status (SigCgt, SigIgn),
// which qemu-user does not keep (it installs its own handlers): there only the outcome is checked.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type ChildContext, childSkip, runChild, TEST_TIMEOUT } from '../support';

const T = { timeout: TEST_TIMEOUT };
const SIGIO = 29; // the same on x86_64 and aarch64
const SIGCHLD = 17;
const SIGUSR2 = 12; // the same on x86_64 and aarch64
const EMULATED = process.arch === 'arm64' && process.env.AIO_NATIVE_ARM64 !== '1';
/** The bound on every wait inside a child: reached only when the scenario fails. */
const BOUND_MS = 20_000;

// ---------------------------------------------------------------------------------------
// What every child body gets besides runChild's context (functions, sent as source).

type Disposition = 'caught' | 'ignored' | 'default';

/** `signo`'s disposition in this process, as the kernel reports it. */
function disposition(signo: number): Disposition {
  const status: string = require('node:fs').readFileSync('/proc/self/status', 'utf8');
  const set = (field: string) => BigInt(`0x${new RegExp(`^${field}:\\s*([0-9a-f]+)`, 'm').exec(status)![1]}`);
  const bit = 1n << BigInt(signo - 1);
  if (set('SigCgt') & bit) return 'caught';
  return set('SigIgn') & bit ? 'ignored' : 'default';
}

/** Resolves with true once `done()` holds, false after `ms` (polling, so the event loop runs). */
function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  return new Promise((resolve) => {
    const tick = () => {
      if (done()) resolve(true);
      else if (Date.now() > deadline) resolve(false);
      else setTimeout(tick, 5);
    };
    tick();
  });
}

/** The signal numbers of the records `relay` has, waiting (blocking, up to `ms`) for the first. */
function recordsOf(sys: ChildContext['sys'], relay: { fd: number; read(): Array<{ signo: number }> }, ms: number): number[] {
  const p = new sys.PollFdArray(1);
  p.push(relay.fd, sys.POLLIN);
  const deadline = Date.now() + ms;
  while (sys.ppoll(p, Math.max(0, deadline - Date.now()) * 1e6) === sys.PPOLL_INTERRUPTED);
  return relay.read().map((r) => r.signo);
}

interface Kit {
  disposition: typeof disposition;
  until: typeof until;
  recordsOf: typeof recordsOf;
  BOUND_MS: number;
}

function runScenario<D>(body: (ctx: ChildContext<D> & Kit) => unknown, data?: D) {
  return runChild(
    `return (${body.toString()})({ lib, sys, data, report, require, BOUND_MS: ${BOUND_MS},
      disposition: ${disposition.toString()}, until: ${until.toString()}, recordsOf: ${recordsOf.toString()} });`,
    data,
  );
}

/** Dispositions are compared only where /proc tells the truth (not under qemu-user). */
function strip<T>(reports: T[]): T[] {
  if (!EMULATED) return reports;
  return JSON.parse(JSON.stringify(reports, (k, v) => (/^disp|Disp/.test(k) ? undefined : v)));
}

function expectReports(r: { code: number | null; signal: string | null; stderr: string; reports: unknown[] }, want: unknown[], signal: string | null = null) {
  assert.equal(r.signal, signal, `ended by ${r.signal} (code ${r.code}); reports ${JSON.stringify(r.reports)}; stderr: ${r.stderr}`);
  if (signal === null) assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(strip(r.reports), strip(want));
}

describe('class "process-wide signal state restored stale or overwritten": dispositions shared with Node and libuv (child processes)', { skip: childSkip() }, () => {
  test('a Node listener added while a relay is open survives the relay\'s close (no death by SIGIO)', T, async () => {
    const r = await runScenario(async ({ sys, report, disposition, until, BOUND_MS }) => {
      const dispBefore = disposition(29);
      const relay = sys.openSignalRelay(['SIGIO']);
      let fired = 0;
      process.on('SIGIO', () => fired++);
      relay.close();
      report({ dispBefore, dispAfterClose: disposition(29), replaced: relay.handlerReplaced, subscribers: sys.relaySubscribers('SIGIO') });
      sys.kill(sys.getpid(), 'SIGIO');
      report({ listenerRan: await until(() => fired === 1, BOUND_MS) });
      process.removeAllListeners('SIGIO');
      report({ dispAfterRemove: disposition(29) });
    });
    expectReports(r, [
      // Node's process.on replaced the relay's handler (counted), which took SIGIO back; close
      // put back libuv's handler, the one current when the relay last took the signal.
      { dispBefore: 'default', dispAfterClose: 'caught', replaced: 1, subscribers: 0 },
      { listenerRan: true },
      { dispAfterRemove: 'default' },
    ]);
  });

  test('removing Node\'s last listener while a relay is open does not leave SIGIO deadly; close restores the current default', T, async () => {
    const r = await runScenario(async ({ sys, report, disposition, recordsOf, BOUND_MS }) => {
      process.on('SIGIO', () => {});
      const relay = sys.openSignalRelay(['SIGIO']);
      process.removeAllListeners('SIGIO'); // libuv installs SIG_DFL
      report({ dispWhileOpen: disposition(29), replaced: relay.handlerReplaced });
      sys.kill(sys.getpid(), 'SIGIO');
      report({ records: recordsOf(sys, relay, BOUND_MS) });
      relay.close();
      report({ dispAfterClose: disposition(29), subscribers: sys.relaySubscribers('SIGIO') });
      // Not libuv's handler seen at open (stale: it has no watcher left): SIG_DFL, which kills.
      sys.kill(sys.getpid(), 'SIGIO');
      setTimeout(() => report('survived'), BOUND_MS);
    });
    expectReports(
      r,
      [{ dispWhileOpen: 'caught', replaced: 1 }, { records: [SIGIO] }, { dispAfterClose: 'default', subscribers: 0 }],
      'SIGIO',
    );
  });

  test('records keep arriving with a Node listener, and the listener still runs for each signal', T, async () => {
    const r = await runScenario(async ({ sys, report, disposition, until, recordsOf, BOUND_MS }) => {
      const relay = sys.openSignalRelay(['SIGIO']);
      let fired = 0;
      process.on('SIGIO', () => fired++);
      const records: number[] = [];
      for (let i = 0; i < 3; i++) {
        sys.kill(sys.getpid(), 'SIGIO');
        records.push(...recordsOf(sys, relay, BOUND_MS));
      }
      report({ records, listenerRanThrice: await until(() => fired === 3, BOUND_MS), replaced: relay.handlerReplaced });
      process.removeAllListeners('SIGIO');
      sys.kill(sys.getpid(), 'SIGIO'); // the relay alone again
      report({ after: recordsOf(sys, relay, BOUND_MS), replaced: relay.handlerReplaced });
      relay.close();
      report({ dispAfterClose: disposition(29), subscribers: sys.relaySubscribers('SIGIO') });
    });
    expectReports(r, [
      { records: [SIGIO, SIGIO, SIGIO], listenerRanThrice: true, replaced: 1 },
      { after: [SIGIO], replaced: 2 },
      { dispAfterClose: 'default', subscribers: 0 },
    ]);
  });

  test("Node's diagnostic report on SIGUSR2 (report-on-signal) still runs with a relay open", T, async () => {
    // Node 24 and 26 turn report-on-signal on in every `node --test` file's process: a test
    // that sent itself SIGUSR2 wrote report.*.json into the checkout through this very chain
    // (test/support/progress.ts turns it off there). The relay takes the signal and chains to
    // Node's handler, which must still write its report.
    const dir = mkdtempSync(join(tmpdir(), 'aio-report-'));
    try {
      const r = await runScenario(
        async ({ sys, report, until, recordsOf, require, data, BOUND_MS }) => {
          const fs = require('node:fs');
          process.report.directory = data.dir;
          process.report.reportOnSignal = true; // Node's handler first, as with --report-on-signal
          const relay = sys.openSignalRelay(['SIGUSR2']);
          sys.kill(sys.getpid(), 'SIGUSR2');
          const records = recordsOf(sys, relay, BOUND_MS);
          const written = await until(() => fs.readdirSync(data.dir).some((f: string) => f.endsWith('.json')), BOUND_MS);
          relay.close();
          report({ records, written, reports: fs.readdirSync(data.dir).length });
        },
        { dir },
      );
      expectReports(r, [{ records: [SIGUSR2], written: true, reports: 1 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a relay in a worker keeps receiving records when the main thread adds a Node listener', T, async () => {
    const r = await runScenario(async ({ report, require, until, BOUND_MS }) => {
      const { Worker } = require('node:worker_threads');
      const w = new Worker(
        `const { sys } = require(process.env.AIO_TEST_LIB);
         const { parentPort } = require('node:worker_threads');
         const relay = sys.openSignalRelay(['SIGIO']);
         parentPort.postMessage('open');
         parentPort.once('message', () => {
           const p = new sys.PollFdArray(1);
           p.push(relay.fd, sys.POLLIN);
           const deadline = Date.now() + ${BOUND_MS};
           while (sys.ppoll(p, Math.max(0, deadline - Date.now()) * 1e6) === sys.PPOLL_INTERRUPTED);
           parentPort.postMessage({ records: relay.read().map((x) => x.signo), replaced: relay.handlerReplaced });
           relay.close();
         });`,
        { eval: true },
      );
      let fired = 0;
      w.on('message', (m: unknown) => {
        if (m === 'open') {
          process.on('SIGIO', () => fired++); // in the main thread, where the relay's library is loaded too
          process.kill(process.pid, 'SIGIO');
          w.postMessage('read');
        } else report(m);
      });
      await new Promise((resolve) => w.on('exit', resolve));
      report({ listenerRan: await until(() => fired === 1, BOUND_MS) });
      process.removeAllListeners('SIGIO');
    });
    expectReports(r, [{ records: [SIGIO], replaced: 1 }, { listenerRan: true }]);
  });

  test('a SIGCHLD relay closed while a child runs leaves libuv\'s handler: the child\'s exit arrives', T, async () => {
    const r = await runScenario(async ({ sys, report, require, disposition, BOUND_MS }) => {
      const { spawn } = require('node:child_process');
      const relay = sys.openSignalRelay(['SIGCHLD']);
      // Waits for the end of its stdin: it runs until this process says so.
      const child = spawn(process.execPath, ['-e', 'process.stdin.resume().on("end", () => process.exit(3))'], {
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      relay.close();
      report({ replaced: relay.handlerReplaced, dispAfterClose: disposition(17) });
      const exited = new Promise((resolve) => child.on('exit', (code: number) => resolve(code)));
      child.stdin.end();
      const timer = new Promise((resolve) => setTimeout(() => resolve('no exit event'), BOUND_MS).unref());
      report({ exit: await Promise.race([exited, timer]) });
      process.exit(0); // a lost exit event would keep the child's handle (and this process) alive
    });
    // The relay found libuv's SIGCHLD handler in place of its own when it closed, and left it.
    expectReports(r, [{ replaced: 1, dispAfterClose: 'caught' }, { exit: 3 }]);
  });

  test('a SIGCHLD relay takes the signal back from child_process: a record, and the exit still arrives', T, async () => {
    const r = await runScenario(async ({ sys, report, require, disposition, until, BOUND_MS }) => {
      const { spawn } = require('node:child_process');
      const relay = sys.openSignalRelay(['SIGCHLD']);
      const child = spawn(process.execPath, ['-e', 'process.stdin.resume().on("end", () => process.exit(3))'], {
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      report({ replaced: relay.handlerReplaced }); // checks, and takes SIGCHLD back
      const exited = new Promise((resolve) => child.on('exit', (code: number) => resolve(code)));
      child.stdin.end();
      const records: number[] = [];
      await until(() => records.push(...relay.read().map((x) => x.signo)) > 0, BOUND_MS);
      const timer = new Promise((resolve) => setTimeout(() => resolve('no exit event'), BOUND_MS).unref());
      const exit = await Promise.race([exited, timer]);
      relay.close();
      report({ records, exit, dispAfterClose: disposition(17), replaced: relay.handlerReplaced, subscribers: sys.relaySubscribers('SIGCHLD') });
      process.exit(0);
    });
    expectReports(r, [
      { replaced: 1 },
      // Node closes the exited child's handle before its 'exit' event, and libuv, its last
      // child gone, sets SIGCHLD to SIG_DFL over the relay's handler (the second replacement):
      // close() leaves that, the current state, in place.
      { records: [SIGCHLD], exit: 3, dispAfterClose: 'default', replaced: 2, subscribers: 0 },
    ]);
  });

  test('ignored, default and caught dispositions come back exactly; no descriptor is left', T, async () => {
    const r = await runScenario(async ({ sys, report, require, disposition }) => {
      const fds = () => require('node:fs').readdirSync('/proc/self/fd').length;
      const listener = () => {};
      process.on('SIGUSR2', listener);
      const all = () => ({ dispPipe: disposition(13), dispIo: disposition(29), dispUsr2: disposition(12) });
      const before = { ...all(), fds: fds() };
      const a = sys.openSignalRelay(['SIGPIPE', 'SIGIO', 'SIGUSR2']);
      const b = sys.openSignalRelay(['SIGIO']);
      const during = all();
      a.close();
      b.close();
      report({ before, during, after: { ...all(), fds: fds() }, replaced: [a.handlerReplaced, b.handlerReplaced] });
      process.off('SIGUSR2', listener);
    });
    assert.equal(r.code, 0, r.stderr);
    const [{ before, during, after, replaced }] = r.reports;
    assert.deepEqual(replaced, [0, 0]);
    assert.deepEqual(after, before);
    if (!EMULATED) {
      // Node ignores SIGPIPE; SIGIO is at its default; SIGUSR2 has Node's (libuv's) handler.
      assert.deepEqual(before, { dispPipe: 'ignored', dispIo: 'default', dispUsr2: 'caught', fds: before.fds });
      assert.deepEqual(during, { dispPipe: 'caught', dispIo: 'caught', dispUsr2: 'caught' });
    }
  });
});
