// sys: the signal relay — signals in, signalfd_siginfo records out on a pipe. SIGIO's
// default action kills the process, so in this process it is only ever sent while a relay
// for it is open; what a relay leaves behind when it closes (the old disposition) is
// watched from outside, in child processes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sys } from '../../lib';
import {
  argError,
  childSkip,
  controlNotRun,
  EMULATED,
  fdFlags,
  isFdOpen,
  leakCheck,
  runChild,
  type Scope,
  scoped,
  sleep,
  startWorker,
  TEST_TIMEOUT,
  threadBlocked,
  threadExists,
  threadIds,
  waitFor,
  waitForThreadAsleep,
  type WorkerContext,
} from '../support';

leakCheck();
const T = { timeout: TEST_TIMEOUT };
const SIGIO = 29; // the same on x86_64 and aarch64
const SIGUSR2 = 12;
const SI_USER = 0;
const SI_TKILL = -6;

function open(s: Scope, signals?: Array<string | number>): sys.SignalRelay {
  const relay = sys.openSignalRelay(signals);
  s.defer(() => relay.close());
  return relay;
}

/** The records `relay` receives, waiting until there are at least `count`. */
async function records(relay: sys.SignalRelay, count = 1): Promise<sys.SignalRecord[]> {
  const got: sys.SignalRecord[] = [];
  await waitFor(() => {
    got.push(...relay.read());
    return got.length >= count;
  }, { what: `${count} record(s) on relay fd ${relay.fd}` });
  return got;
}

describe('relay basics', () => {
  test('opens a non-blocking pipe for SIGIO by default and counts its subscriber', T, scoped((s) => {
    assert.equal(sys.RELAY_RECORD_SIZE, 128);
    assert.equal(sys.relaySubscribers('SIGIO'), 0);
    const relay = sys.openSignalRelay();
    s.defer(() => relay.close());
    assert.deepEqual(relay.signals, [SIGIO]);
    assert.ok(Object.isFrozen(relay.signals));
    assert.equal(relay.closed, false);
    assert.ok(isFdOpen(relay.fd));
    assert.equal(fdFlags(relay.fd) & 0o2004000, 0o2004000, 'O_NONBLOCK | O_CLOEXEC');
    assert.equal(sys.relaySubscribers('SIGIO'), 1);
    assert.equal(sys.relaySubscribers(SIGIO), 1);
    assert.equal(sys.relaySubscribers('SIGUSR2'), 0);
    assert.deepEqual(relay.read(), []);
    assert.equal(relay.drain(), false);
    relay.close();
    assert.equal(relay.closed, true);
    assert.equal(sys.relaySubscribers('SIGIO'), 0);
    assert.ok(!isFdOpen(relay.fd), 'its pipe is closed');
    relay.close(); // idempotent
    assert.throws(() => relay.read(), { code: 'ERR_AIO_CLOSED', message: 'SignalRelay is closed' });
    assert.throws(() => relay.drain(), { code: 'ERR_AIO_CLOSED' });
  }));

  test('the process survives kill(getpid(), SIGIO); the record names the sender', T, scoped(async (s) => {
    const relay = open(s);
    sys.kill(sys.getpid(), 'SIGIO');
    const [r] = await records(relay);
    assert.deepEqual(r, {
      signo: SIGIO,
      name: 'SIGIO',
      errno: 0,
      code: SI_USER,
      pid: sys.getpid(),
      uid: process.getuid!(),
      fd: 0,
      band: 0,
      value: 0n,
    });
    // process.kill too, now that a relay is open.
    process.kill(process.pid, 'SIGIO');
    assert.equal((await records(relay))[0].signo, SIGIO);
    assert.deepEqual(relay.read(), [], 'one record per signal');
  }));

  test('tgkill to the main thread: si_code SI_TKILL; drain() empties the pipe', T, scoped(async (s) => {
    const relay = open(s);
    sys.tgkill(sys.getpid(), sys.gettid(), 'SIGIO');
    const [r] = await records(relay);
    assert.deepEqual([r.signo, r.code, r.pid], [SIGIO, SI_TKILL, sys.getpid()]);
    sys.kill(sys.getpid(), 'SIGIO');
    await waitFor(() => sys.ppoll(pollIn(relay.fd), 0) === 1);
    assert.equal(relay.drain(), true);
    assert.equal(relay.drain(), false);
    assert.deepEqual(relay.read(), []);
  }));

  test('sigqueue: si_code SI_QUEUE and the 64-bit value; drainFor() finds it', T, scoped(async (s, t) => {
    // qemu-user may re-raise a signal it queued as SI_USER, and the value is gone.
    if (EMULATED) return controlNotRun(t, `${EMULATED}: sigqueue values may not survive emulation`);
    const relay = open(s);
    const value = (0x7eadbeefn << 32n) | 0xfffffffen;
    sys.sigqueue(sys.getpid(), 'SIGIO', value);
    const [r] = await records(relay);
    assert.deepEqual([r.signo, r.code, r.pid, r.value], [SIGIO, -1, sys.getpid(), value]);
    sys.sigqueue(sys.getpid(), 'SIGIO', 7n);
    await waitFor(() => sys.ppoll(pollIn(relay.fd), 0) === 1);
    assert.equal(relay.drainFor(value), 1, 'a record, but not one with that value');
    sys.sigqueue(sys.getpid(), 'SIGIO', value);
    await waitFor(() => sys.ppoll(pollIn(relay.fd), 0) === 1);
    assert.equal(relay.drainFor(value), 2);
    assert.equal(relay.drainFor(value), 0);
    assert.throws(() => sys.sigqueue(sys.getpid(), 'SIGIO', -1n), { code: 'ERR_OUT_OF_RANGE' });
  }));

  test('real-time signals queue: one record each', T, scoped(async (s) => {
    const relay = open(s, [sys.SIGRTMIN]);
    for (let i = 0; i < 5; i++) sys.kill(sys.getpid(), sys.SIGRTMIN);
    const got = await records(relay, 5);
    assert.equal(got.length, 5);
    for (const r of got) assert.deepEqual([r.signo, r.name], [sys.SIGRTMIN, `SIG${sys.SIGRTMIN}`]);
  }));

  test('fan-out to every relay of a signal, and only to those', T, scoped(async (s) => {
    const a = open(s, ['SIGIO']);
    const b = open(s, ['SIGIO']);
    const c = open(s, ['SIGUSR2']);
    assert.equal(sys.relaySubscribers('SIGIO'), 2);
    assert.equal(sys.relaySubscribers('SIGUSR2'), 1);
    sys.kill(sys.getpid(), 'SIGIO');
    assert.equal((await records(a))[0].signo, SIGIO);
    assert.equal((await records(b))[0].signo, SIGIO);
    sys.kill(sys.getpid(), 'SIGUSR2');
    assert.equal((await records(c))[0].signo, SIGUSR2);
    assert.deepEqual([a.read(), b.read()], [[], []], 'no SIGUSR2 record on the SIGIO relays');
    a.close();
    assert.equal(sys.relaySubscribers('SIGIO'), 1);
    sys.kill(sys.getpid(), 'SIGIO'); // b alone still guards SIGIO
    assert.equal((await records(b))[0].signo, SIGIO);
    assert.deepEqual(c.read(), []);
  }));

  test('one relay for several signals; a signal listed twice counts once', T, scoped(async (s) => {
    const relay = open(s, ['SIGIO', SIGIO, 'SIGUSR2']);
    assert.deepEqual(relay.signals, [SIGIO, SIGUSR2]);
    assert.equal(sys.relaySubscribers('SIGIO'), 1);
    assert.equal(sys.relaySubscribers('SIGUSR2'), 1);
    sys.kill(sys.getpid(), 'SIGUSR2');
    sys.kill(sys.getpid(), 'SIGIO');
    const got = await records(relay, 2);
    assert.deepEqual(got.map((r) => r.name).sort(), ['SIGIO', 'SIGUSR2']);
    relay.close();
    assert.equal(sys.relaySubscribers('SIGIO') + sys.relaySubscribers('SIGUSR2'), 0);
  }));

  test('a handler installed before the relay still runs', T, scoped(async (s) => {
    let fired = 0;
    const onSigio = () => {
      fired++;
    };
    process.on('SIGIO', onSigio);
    s.defer(() => process.off('SIGIO', onSigio)); // runs after relay.close() (reverse order)
    const relay = open(s);
    sys.kill(sys.getpid(), 'SIGIO');
    const [r] = await records(relay);
    assert.equal(r.signo, SIGIO);
    await waitFor(() => fired === 1, { what: 'the earlier SIGIO listener ran' });
  }));

  test('the relay thread takes a signal directed at it (the sigwait road)', T, scoped(async (s) => {
    const before = new Set(threadIds());
    const relay = open(s, ['SIGIO']);
    let fresh = threadIds().filter((tid) => !before.has(tid));
    if (fresh.length > 1) fresh = fresh.filter((tid) => threadBlocked(tid).includes(SIGIO));
    assert.equal(fresh.length, 1, `one new thread when the first relay for SIGIO opens: ${fresh}`);
    const [relayTid] = fresh;
    // The relay thread blocks SIGIO and waits for it: a thread-directed SIGIO can only
    // reach the pipe through its sigwaitinfo (our handler never runs on that thread).
    sys.tgkill(sys.getpid(), relayTid, 'SIGIO');
    const [r] = await records(relay);
    assert.deepEqual([r.signo, r.pid], [SIGIO, sys.getpid()]);
    // qemu-user (our aarch64 run) sometimes re-raises a signal it queued for a blocked
    // thread as SI_USER; the kernel itself keeps SI_TKILL, which is what we test natively.
    const emulated = EMULATED !== null;
    assert.ok(r.code === SI_TKILL || (emulated && r.code === 0), `si_code ${r.code}`);
    relay.close();
    await waitFor(() => !threadExists(relayTid), { what: 'the relay thread ends with the last subscriber' });
  }));

  test("a signal that takes the sigwait road still reaches Node's listener", T, scoped(async (s) => {
    // The kernel may hand a process-directed signal to the relay thread (when the thread it
    // prefers has one pending and is not running): CI saw a listener miss its SIGIO so. A
    // signal directed at the relay thread takes that road every time.
    let fired = 0;
    const onSigio = () => {
      fired++;
    };
    process.on('SIGIO', onSigio);
    s.defer(() => process.off('SIGIO', onSigio)); // runs after relay.close() (reverse order)
    const before = new Set(threadIds());
    const relay = open(s, ['SIGIO']);
    const fresh = threadIds().filter((tid) => !before.has(tid));
    assert.equal(fresh.length, 1, `one new thread, the relay's: ${fresh}`);
    sys.tgkill(sys.getpid(), fresh[0], 'SIGIO');
    assert.equal((await records(relay))[0].signo, SIGIO);
    await waitFor(() => fired === 1, { what: 'the SIGIO listener ran for a signal the relay thread took' });
    relay.close();
    await waitFor(() => !threadExists(fresh[0]), { what: 'the relay thread ends with the last subscriber' });
  }));

  test('argument errors: RangeError for unknown and non-relayable signals', T, () => {
    const range = (what: string, received: string) =>
      argError(
        'range',
        `The value of "${what}" is out of range. It must be a signal a handler can catch ` +
          `(not SIGKILL, SIGSTOP, a fault, or one reserved by the C library). Received ${received}`,
      );
    assert.throws(() => sys.openSignalRelay(['SIGKILL']), range('signals[0]', `'SIGKILL'`));
    assert.throws(() => sys.openSignalRelay(['SIGIO', 'SIGSTOP']), range('signals[1]', `'SIGSTOP'`));
    for (const sig of ['SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGTRAP', 9, 19, 32, 33]) {
      assert.throws(() => sys.openSignalRelay([sig]), argError('range', /"signals\[0\]" is out of range/), String(sig));
    }
    assert.throws(() => sys.openSignalRelay(['SIGFOO']), argError('range', /"signals\[0\]" is out of range. It must be a known signal name/));
    assert.throws(() => sys.openSignalRelay([0]), argError('range', /"signals\[0\]"/));
    assert.throws(() => sys.openSignalRelay([65]), argError('range', /"signals\[0\]"/));
    assert.throws(() => sys.openSignalRelay([]), argError('range', /"signals" is out of range. It must be a non-empty array/));
    assert.throws(() => sys.openSignalRelay('SIGIO' as never), argError('type', /"signals" argument must be an instance of Array/));
    assert.throws(() => sys.openSignalRelay([{}] as never), argError('type', /"signals\[0\]" argument/));
    assert.throws(
      () => sys.relaySubscribers('SIGFOO'),
      argError('range', `The value of "signal" is out of range. It must be a known signal name such as SIGIO. Received 'SIGFOO'`),
    );
    assert.throws(() => sys.relaySubscribers(null as never), argError('type', /"signal" argument/));
    assert.equal(sys.relaySubscribers('SIGIO'), 0, 'no refused relay was counted');
    assert.equal(sys.relaySubscribers('SIGKILL'), 0);
  });
});

function pollIn(fd: number): sys.PollFdArray {
  const p = new sys.PollFdArray(1);
  p.push(fd, sys.POLLIN);
  return p;
}

// ---------------------------------------------------------------------------------------
// Relays in worker threads

interface WatcherResult {
  woke: 'relay' | 'rescue';
  interrupted: number;
  records: sys.SignalRecord[];
  /** relaySubscribers('SIGIO') just after the records were read. */
  subscribersOpen: number;
  subscribersAfter: number;
}

/**
 * Worker body: opens a SIGIO relay, sends { tid, subscribers }, sleeps in ppoll(-1) on the
 * relay fd (and a rescue eventfd), reads the records, waits for a message if asked to,
 * closes the relay.
 */
async function watcher({ sys, data, send, receive }: WorkerContext<{ rescue: number; hold: boolean }>): Promise<WatcherResult> {
  const relay = sys.openSignalRelay(['SIGIO']);
  const p = new sys.PollFdArray(2);
  p.push(relay.fd, sys.POLLIN);
  p.push(data.rescue, sys.POLLIN);
  send({ tid: sys.gettid(), subscribers: sys.relaySubscribers('SIGIO') });
  let interrupted = 0;
  // The kernel may run the SIGIO handler on this very thread: ppoll then says EINTR.
  while (sys.ppoll(p, -1) === sys.PPOLL_INTERRUPTED) interrupted++;
  const woke = p.revents(0) & sys.POLLIN ? 'relay' : 'rescue';
  const records = relay.read();
  const subscribersOpen = sys.relaySubscribers('SIGIO');
  if (data.hold) {
    send('woke');
    await receive(); // keep the relay open until the main thread says so
  }
  relay.close();
  return { woke, interrupted, records, subscribersOpen, subscribersAfter: sys.relaySubscribers('SIGIO') };
}

function startWatcher(s: Scope, hold: boolean) {
  const rescue = s.fd(sys.eventfd());
  const w = startWorker<WatcherResult>(watcher, { rescue, hold });
  s.wakeWorker(w, () => {
    sys.eventfdWrite(rescue, 1);
    if (hold) w.post('close');
  });
  return w;
}

describe('relays in workers', () => {
  test('a worker asleep on its relay fd wakes on kill(getpid(), SIGIO) from the main thread', T, scoped(async (s) => {
    const w = startWatcher(s, false);
    const { tid, subscribers } = await w.next();
    assert.equal(subscribers, 1);
    await waitForThreadAsleep(tid);
    await sleep(20);
    assert.equal(w.settled, false, 'ppoll(-1) returned before the signal');
    sys.kill(sys.getpid(), 'SIGIO');
    const r = await w.done();
    assert.equal(r.woke, 'relay');
    assert.equal(r.records.length, 1);
    const [rec] = r.records;
    assert.deepEqual([rec.signo, rec.name, rec.code, rec.pid], [SIGIO, 'SIGIO', SI_USER, sys.getpid()]);
    assert.equal(r.subscribersAfter, 0);
    assert.equal(sys.relaySubscribers('SIGIO'), 0);
  }));

  test('relaySubscribers counts across threads, and one SIGIO reaches every thread\'s relay', T, scoped(async (s) => {
    const mine = open(s, ['SIGIO']);
    const workers = [0, 1, 2].map(() => startWatcher(s, true));
    const hello = await Promise.all(workers.map((w) => w.next()));
    for (const h of hello) assert.ok(h.subscribers >= 2 && h.subscribers <= 4);
    assert.equal(sys.relaySubscribers('SIGIO'), 4);
    for (const h of hello) await waitForThreadAsleep(h.tid);
    sys.kill(sys.getpid(), 'SIGIO');
    const [own] = await records(mine);
    assert.equal(own.signo, SIGIO);
    // Every worker has woken and read its record with all four relays still open.
    for (const w of workers) assert.equal(await w.next(), 'woke');
    assert.equal(sys.relaySubscribers('SIGIO'), 4);
    for (const w of workers) w.post('close');
    const results = await Promise.all(workers.map((w) => w.done()));
    for (const r of results) {
      assert.equal(r.woke, 'relay');
      assert.deepEqual(r.records.map((x) => [x.signo, x.pid]), [[SIGIO, sys.getpid()]]);
      assert.equal(r.subscribersOpen, 4, 'all four open while each read its record');
    }
    assert.equal(sys.relaySubscribers('SIGIO'), 1);
    mine.close();
    assert.equal(sys.relaySubscribers('SIGIO'), 0);
  }));

  test('a worker that exits with relays open releases them', T, scoped(async (s) => {
    const w = startWorker(({ sys }) => {
      const a = sys.openSignalRelay(['SIGIO']);
      const b = sys.openSignalRelay(['SIGIO', 'SIGUSR2']);
      return { fds: [a.fd, b.fd], sigio: sys.relaySubscribers('SIGIO'), sigusr2: sys.relaySubscribers('SIGUSR2') };
    });
    s.worker(w);
    const r = await w.done();
    assert.deepEqual([r.sigio, r.sigusr2], [2, 1]);
    assert.equal(sys.relaySubscribers('SIGIO'), 0);
    assert.equal(sys.relaySubscribers('SIGUSR2'), 0);
    for (const fd of r.fds) assert.ok(!isFdOpen(fd), `relay fd ${fd} closed with its worker`);
    // The process-wide state is sane afterwards: a new relay works.
    const relay = open(s);
    sys.kill(sys.getpid(), 'SIGIO');
    assert.equal((await records(relay))[0].pid, sys.getpid());
  }));

  test('terminate() of a worker busy in JavaScript with a relay open releases it', T, scoped(async (s) => {
    const w = s.worker(
      startWorker(({ sys, send }) => {
        const relay = sys.openSignalRelay(['SIGIO', 'SIGUSR2']);
        send(relay.fd);
        for (;;); // never returns: only terminate() ends this worker
      }),
    );
    const fd: number = await w.next();
    assert.equal(sys.relaySubscribers('SIGUSR2'), 1);
    await w.terminate();
    assert.equal(sys.relaySubscribers('SIGIO'), 0);
    assert.equal(sys.relaySubscribers('SIGUSR2'), 0);
    assert.ok(!isFdOpen(fd));
  }));
});

// ---------------------------------------------------------------------------------------
// Dispositions, observed from outside: SIGIO's default action ends a child process.

describe('dispositions (child processes)', { skip: childSkip() }, () => {
  // A child that is still alive this long after the signal was not killed by it.
  const GRACE_MS = 20_000;

  test('control: with no relay, SIGIO kills the process', T, async () => {
    const r = await runChild(({ sys, report, data }) => {
      report('sending');
      sys.kill(sys.getpid(), 'SIGIO');
      setTimeout(() => report('survived'), data);
    }, GRACE_MS);
    assert.equal(r.signal, 'SIGIO', `exit: ${r.code} ${r.signal}; stderr: ${r.stderr}`);
    assert.deepEqual(r.reports, ['sending']);
  });

  test('with a relay open the process survives SIGIO and gets the record', T, async () => {
    const r = await runChild(({ sys, report }) => {
      const relay = sys.openSignalRelay();
      sys.kill(sys.getpid(), 'SIGIO');
      const p = new sys.PollFdArray(1);
      p.push(relay.fd, sys.POLLIN);
      while (sys.ppoll(p, 60_000_000_000) === sys.PPOLL_INTERRUPTED);
      report(relay.read().map((x) => [x.signo, x.name, x.pid === sys.getpid()]));
      relay.close();
      report('survived');
    });
    assert.equal(r.signal, null, `stderr: ${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.reports, [[[SIGIO, 'SIGIO', true]], 'survived']);
  });

  test('closing the last relay restores the default: SIGIO kills the process again', T, async () => {
    const r = await runChild(({ sys, report, data }) => {
      const a = sys.openSignalRelay(['SIGIO']);
      const b = sys.openSignalRelay(['SIGIO', 'SIGUSR2']);
      a.close();
      report(sys.relaySubscribers('SIGIO'));
      b.close();
      report(sys.relaySubscribers('SIGIO'));
      sys.kill(sys.getpid(), 'SIGIO');
      setTimeout(() => report('survived'), data);
    }, GRACE_MS);
    assert.equal(r.signal, 'SIGIO', `exit: ${r.code} ${r.signal}; stderr: ${r.stderr}`);
    assert.deepEqual(r.reports, [1, 0]);
  });

  test('closing the relay restores a handler installed before it', T, async () => {
    const r = await runChild(({ sys, report, data }) => {
      let fired = 0;
      process.on('SIGIO', () => fired++);
      const relay = sys.openSignalRelay();
      relay.close();
      sys.kill(sys.getpid(), 'SIGIO');
      const started = Date.now();
      const timer = setInterval(() => {
        if (fired > 0 || Date.now() - started > data) {
          clearInterval(timer);
          report({ fired });
          process.removeAllListeners('SIGIO');
        }
      }, 5);
    }, 30_000);
    assert.equal(r.signal, null, `killed by ${r.signal}: the earlier handler was not restored`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.reports, [{ fired: 1 }]);
  });

  test('a worker that exits with a relay open leaves the default behind', T, async () => {
    const r = await runChild(({ sys, report, data, require }) => {
      const { Worker } = require('node:worker_threads');
      const w = new Worker(
        `const { sys } = require(process.env.AIO_TEST_LIB);
         sys.openSignalRelay(['SIGIO']);
         require('node:worker_threads').parentPort.postMessage(sys.relaySubscribers('SIGIO'));`,
        { eval: true },
      );
      w.on('message', (m: number) => report({ inWorker: m }));
      w.on('exit', () => {
        report({ afterExit: sys.relaySubscribers('SIGIO') });
        sys.kill(sys.getpid(), 'SIGIO');
        setTimeout(() => report('survived'), data);
      });
    }, GRACE_MS);
    assert.equal(r.signal, 'SIGIO', `exit: ${r.code} ${r.signal}; stderr: ${r.stderr}`);
    assert.deepEqual(r.reports, [{ inWorker: 1 }, { afterExit: 0 }]);
  });
});
