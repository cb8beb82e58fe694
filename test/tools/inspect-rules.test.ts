// The rules of `inspect` (docs/diagnosis.md, "Rules"), each with a positive and a negative
// case, on small C programs (test/fixtures/c) that set each scene with real threads, real
// futexes and real eventfds; and the decoding of every blocking call it names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect, InspectReport } from '../../lib/tools/inspect';
import { fdInfo, taskStat } from '../../lib/tools/inspect/procfs';
import { cFixture, startJson, stopChild, waitFor } from '../support';

const TIMEOUT = 120_000;

interface FutexScene {
  pid: number;
  tid: number;
  address: string;
  expected: number;
  current: number;
}

function futexFindings(r: InspectReport) {
  return r.findings.filter((f) => f.kind === 'futex-not-woken');
}

test('futex rule: a waker that changes the word and skips FUTEX_WAKE is a lost wake-up, with address, expected and current value', { timeout: TIMEOUT }, async () => {
  for (const variant of [['wait', 'private'], ['bitset', 'shared']]) {
    const { child, info } = await startJson<FutexScene>(['skip', ...variant], 30_000, { command: cFixture('futex-waker') });
    try {
      const r = await inspect(info.pid, { stallMs: 200, intervalMs: 50 });
      const [f, ...more] = futexFindings(r);
      assert.ok(f, `${variant}: ${JSON.stringify(r.findings)}`);
      assert.equal(more.length, 0);
      assert.equal(f.verdict, 'lost');
      assert.equal(f.severity, 'error');
      assert.equal(f.tid, info.tid);
      assert.deepEqual(f.futex, { address: info.address, expected: 0, current: 1 });
      assert.match(f.message, variant[0] === 'bitset' ? /FUTEX_WAIT_BITSET on/ : /FUTEX_WAIT \(private\) on/);
      assert.ok(f.causes.some((c) => /skips FUTEX_WAKE/.test(c)));
      assert.equal(r.flagged, true);
      const t = r.threads.find((x) => x.tid === info.tid)!;
      if (variant[0] === 'bitset') {
        // A CLOCK_MONOTONIC deadline an hour away, shown as the time left until it.
        assert.equal(t.timeout?.absolute, true);
        assert.ok(t.timeout!.ns! > 3000e9 && t.timeout!.ns! <= 3600e9, JSON.stringify(t.timeout));
      } else {
        assert.equal(t.timeout?.infinite, true);
      }
    } finally {
      await stopChild(child);
    }
  }
});

test('futex rule: the same waker with its FUTEX_WAKE is not flagged (the sleeper sleeps on the new value)', { timeout: TIMEOUT }, async () => {
  const { child, info } = await startJson<FutexScene>(['wake'], 30_000, { command: cFixture('futex-waker') });
  try {
    const r = await inspect(info.pid, { stallMs: 200, intervalMs: 50 });
    assert.deepEqual(futexFindings(r), []);
    assert.equal(r.flagged, false);
    const t = r.threads.find((x) => x.tid === info.tid)!;
    assert.equal(t.futex?.op, 'FUTEX_WAIT');
    assert.deepEqual(
      t.futex!.words.map((w) => [w.address, w.expected, w.current]),
      [[info.address, 1, 1]],
    );
  } finally {
    await stopChild(child);
  }
});

test('futex rule: a stopped sleeper whose word changed is late, never lost', { timeout: TIMEOUT }, async () => {
  const { child, info } = await startJson<FutexScene>(['skip'], 30_000, { command: cFixture('futex-waker') });
  try {
    process.kill(info.pid, 'SIGSTOP');
    await waitFor(() => taskStat(info.pid, info.tid).state === 'T', { what: 'the sleeper stopped' });
    const r = await inspect(info.pid, { stallMs: 200, intervalMs: 50 });
    const [f] = futexFindings(r);
    assert.equal(f?.verdict, 'late', JSON.stringify(r.findings));
    assert.equal(f.severity, 'warning');
    assert.deepEqual(f.futex, { address: info.address, expected: 0, current: 1 });
    assert.ok(!r.findings.some((x) => x.verdict === 'lost'), JSON.stringify(r.findings));
    assert.equal(r.flagged, false);
    assert.ok(r.findings.some((x) => x.kind === 'stopped' && x.verdict === 'benign'));
  } finally {
    process.kill(info.pid, 'SIGCONT');
    await stopChild(child);
  }
});

test('futex rule: contended and parked glibc mutexes, condition variables, barriers and semaphores are never flagged', { timeout: TIMEOUT }, async () => {
  const { child, info } = await startJson<{ pid: number; parked: number[] }>([], 30_000, { command: cFixture('pthread-healthy') });
  try {
    const r = await inspect(info.pid, { watchMs: 2000, stallMs: 200, intervalMs: 50 });
    assert.deepEqual(futexFindings(r), []);
    assert.equal(r.flagged, false, JSON.stringify(r.findings));
    // The parked ones sleep on the very value their word holds (mutex 2, the others 0).
    for (const tid of info.parked) {
      const t = r.threads.find((x) => x.tid === tid)!;
      assert.ok(t.futex && t.futex.words.length === 1, JSON.stringify(t));
      assert.equal(t.futex.words[0].current, t.futex.words[0].expected);
    }
    assert.equal(r.threads.find((x) => x.tid === info.parked[0])!.futex!.words[0].expected, 2); // a held, contended mutex
  } finally {
    await stopChild(child);
  }
});

interface EventfdScene {
  pid: number;
  tid: number;
  eventfd: number;
}

/** Writes a line to the fixture and waits (bounded) until its eventfd holds `count`. */
async function act(child: import('node:child_process').ChildProcess, info: EventfdScene, line: string, count: bigint): Promise<void> {
  child.stdin!.write(`${line}\n`);
  await waitFor(() => fdInfo(info.pid, info.eventfd).eventfdCount === count, { what: `eventfd ${info.eventfd} to hold ${count}` });
}

function eventfdFinding(r: InspectReport, fd: number) {
  return r.findings.find((f) => f.kind === 'unwatched-eventfd' && f.fd === fd);
}

test('eventfd rule: a still count on an eventfd nobody ever polled is information, not an error', { timeout: TIMEOUT }, async () => {
  const { child, info } = await startJson<EventfdScene>(['still'], 30_000, { command: cFixture('eventfd-poller') });
  try {
    const r = await inspect(info.pid, { stallMs: 200, intervalMs: 50 });
    const f = eventfdFinding(r, info.eventfd);
    assert.equal(f?.verdict, 'benign', JSON.stringify(r.findings));
    assert.equal(f.severity, 'info');
    assert.match(f.message, /holds 2, unchanged/);
    assert.equal(r.flagged, false);
  } finally {
    await stopChild(child);
  }
});

test('eventfd rule: a count that grows while nobody polls the eventfd is a lost wake-up', { timeout: TIMEOUT }, async () => {
  const { child, info } = await startJson<EventfdScene>(['grow'], 30_000, { command: cFixture('eventfd-poller'), stdin: true });
  try {
    // Kicks after each of the first samples; the last ones (over the stall threshold) see it still unread.
    const r = await inspect(info.pid, {
      samples: 12,
      intervalMs: 50,
      stallMs: 200,
      onSample: async (n) => {
        if (n <= 3) await act(child, info, 'kick', BigInt(n));
      },
    });
    const f = eventfdFinding(r, info.eventfd);
    assert.equal(f?.verdict, 'lost', JSON.stringify(r.findings));
    assert.match(f.message, /its count grew from \d+ to 3/);
    assert.ok(f.causes.some((c) => /drained section that never ended/.test(c)));
    assert.ok(f.causes.some((c) => /re-arm kick that never came/.test(c)));
    assert.ok(!f.causes.some((c) => /certain/.test(c)));
    assert.equal(r.flagged, true);
  } finally {
    await stopChild(child);
  }
});

test('eventfd rule: an eventfd polled earlier that drops out of the set with a pending count is a lost wake-up', { timeout: TIMEOUT }, async () => {
  const { child, info } = await startJson<EventfdScene>(['dropped'], 30_000, { command: cFixture('eventfd-poller'), stdin: true });
  try {
    const r = await inspect(info.pid, {
      samples: 14,
      intervalMs: 50,
      stallMs: 200,
      onSample: async (n) => {
        if (n === 2) await act(child, info, 'drop', 1n);
      },
    });
    const f = eventfdFinding(r, info.eventfd);
    assert.equal(f?.verdict, 'lost', JSON.stringify(r.findings));
    assert.match(f.message, new RegExp(`eventfd ${info.eventfd} holds 1 pending wake-up\\(s\\) that nobody reads: thread ${info.tid} \\(eventfd-poller\\) polled it until`));
    assert.equal(r.flagged, true);
  } finally {
    await stopChild(child);
  }
});

test('eventfd rule: the same poller that keeps its eventfd in the set is not flagged', { timeout: TIMEOUT }, async () => {
  const { child, info } = await startJson<EventfdScene>(['dropped'], 30_000, { command: cFixture('eventfd-poller'), stdin: true });
  try {
    const r = await inspect(info.pid, { samples: 8, intervalMs: 50, stallMs: 200 });
    assert.equal(eventfdFinding(r, info.eventfd), undefined, JSON.stringify(r.findings));
    const t = r.threads.find((x) => x.tid === info.tid)!;
    assert.ok(t.watched.some((w) => w.fd === info.eventfd && w.eventfdCount === '0'));
    assert.equal(r.findings.length, 0, JSON.stringify(r.findings));
  } finally {
    await stopChild(child);
  }
});

test('ready rule: an edge-triggered registration whose edge was taken, input left pending, is information, not a lost wake-up', { timeout: TIMEOUT }, async () => {
  const { child, info } = await startJson<EventfdScene>(['edge'], 30_000, { command: cFixture('eventfd-poller') });
  try {
    const r = await inspect(info.pid, { stallMs: 200, intervalMs: 50 });
    const t = r.threads.find((x) => x.tid === info.tid)!;
    assert.match(t.syscall ?? '', /epoll/);
    assert.ok(t.watched.some((w) => w.fd === info.eventfd && w.edgeTriggered && w.ready === true), JSON.stringify(t.watched));
    const f = r.findings.find((x) => x.kind === 'ready-not-woken');
    assert.equal(f?.verdict, 'benign', JSON.stringify(r.findings));
    assert.equal(f.fd, info.eventfd);
    assert.match(f.message, /edge-triggered fd \d+ \(eventfd count 1 via epoll \d+\) has input pending/);
    assert.equal(r.findings.filter((x) => x.severity !== 'info').length, 0, JSON.stringify(r.findings));
  } finally {
    await stopChild(child);
  }
});

interface Waits {
  pid: number;
  zombie: number;
  [call: string]: number;
}

test('inspect decodes every blocking call with the timeout the thread asked for; a zombie is said to have exited', { timeout: TIMEOUT }, async () => {
  const { child, info } = await startJson<Waits>([], 30_000, { command: cFixture('waits') });
  try {
    const r = await inspect(info.pid, { samples: 2, intervalMs: 10, stallMs: 0 });
    const thread = (name: string) => r.threads.find((t) => t.tid === info[name]);
    const HOUR = 3600e9;
    const expect: Array<[string, string, (t: NonNullable<ReturnType<typeof thread>>) => void]> = [
      ['rt_sigsuspend', 'rt_sigsuspend', (t) => assert.equal(t.timeout?.infinite, true)],
      ['pause', 'pause', (t) => assert.equal(t.timeout?.infinite, true)],
      ['rt_sigtimedwait', 'rt_sigtimedwait', (t) => assert.deepEqual(t.timeout, { infinite: false, ns: HOUR, absolute: false })],
      ['clock_nanosleep_rel', 'clock_nanosleep', (t) => assert.deepEqual(t.timeout, { infinite: false, ns: HOUR, absolute: false })],
      ['clock_nanosleep_abs', 'clock_nanosleep', (t) => assert.ok(t.timeout?.absolute && t.timeout.ns! > 3000e9 && t.timeout.ns! <= HOUR)],
      ['epoll_pwait2', 'epoll_pwait2', (t) => assert.deepEqual(t.timeout, { infinite: false, ns: HOUR, absolute: false })],
      ['io_uring_enter', 'io_uring_enter', (t) => assert.equal(t.timeout?.infinite, true)],
      [
        'futex_waitv',
        'futex_waitv',
        (t) => {
          assert.ok(t.timeout?.absolute && t.timeout.ns! > 3000e9, JSON.stringify(t.timeout));
          assert.deepEqual(t.futex?.words.map((w) => [w.expected, w.current, w.shared]), [[5, 5, false], [7, 7, false]]);
        },
      ],
    ];
    let decoded = 0;
    for (const [key, syscall, check] of expect) {
      if (info[key] === 0) continue; // this kernel refused the call (io_uring disabled, no futex_waitv)
      const t = thread(key);
      assert.ok(t, key);
      assert.equal(t.syscall, syscall, key);
      assert.equal(t.note, null, `${key}: ${t.note}`);
      check(t);
      decoded++;
    }
    assert.ok(decoded >= 6, `only ${decoded} calls could be set up`);
    assert.equal(r.flagged, false, JSON.stringify(r.findings));

    const z = await inspect(info.zombie);
    assert.equal(z.findings.length, 1);
    assert.equal(z.findings[0].kind, 'exited');
    assert.match(z.findings[0].message, /has exited: it is a zombie that its parent \d+ has not reaped yet/);
    assert.equal(z.warnings.length, 0);
    assert.equal(z.flagged, false);
  } finally {
    await stopChild(child);
  }
});

test('inspect says plainly that a main thread has exited while the others live on', { timeout: TIMEOUT }, async () => {
  const { child, info } = await startJson<Waits>(['exit-main'], 30_000, { command: cFixture('waits') });
  try {
    await waitFor(() => taskStat(info.pid, info.pid).state === 'Z', { what: 'the main thread exited' });
    const r = await inspect(info.pid, { samples: 2, intervalMs: 10, stallMs: 0 });
    const f = r.findings.find((x) => x.kind === 'exited' && x.tid === info.pid);
    assert.match(f?.message ?? '', /main thread \d+ \(waits\) has exited \(pthread_exit\); the process lives on/);
    assert.equal(r.flagged, false);
  } finally {
    await stopChild(child);
  }
});
