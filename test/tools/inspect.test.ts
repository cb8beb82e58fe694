// `inspect` against live child processes: one hanging in each historical replay (flagged,
// with the right finding), the fixed replays and a healthy IOThread (not flagged), and a
// stopped process with a kick in flight (a ready fd nobody woke for). Plus its errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from '../../lib/tools/inspect';
import { SCENARIOS } from '../../lib/tools/replays/scenarios';
import { pidfdGetfd, pidfdOpen } from '../../lib/sys/pidfd';
import { close, eventfdWrite } from '../../lib/sys/fd';
import { childSkip, CLI, fixture, LIB_PATH, openFds, runNode, startJson, stopChild, waitFor } from '../support';
import { join } from 'node:path';
import { ReplayRun } from '../../lib/tools/replays/run';
import { isParkedIn } from '../../lib/tools/replays/schedule';
import { kernelArch, syscallNumber } from '../../lib/tools/inspect/syscalls';
import { taskStat } from '../../lib/tools/inspect/procfs';

interface ReproLine {
  pid: number;
  tids: Record<string, number>;
  eventfd: number;
  deviceFd: number;
  outcome: { pass: boolean; reason: string };
}

const skip = childSkip();
const TIMEOUT = 180_000;

for (const s of SCENARIOS.filter((x) => x.kind === 'bug')) {
  test(`inspect flags a process hung in ${s.id} (${s.commit})`, { skip, timeout: TIMEOUT }, async () => {
    const { child, info } = await startJson<ReproLine>([CLI, 'repro', s.id, '--json', '--hold', '300', '--stall', '100']);
    try {
      assert.equal(info.outcome.pass, true, info.outcome.reason);
      const r = await inspect(info.pid, { stallMs: 100 });
      assert.equal(r.flagged, true);
      const lost = r.findings.find((f) => f.kind === 'context-lost');
      assert.ok(lost, JSON.stringify(r.findings));
      assert.equal(lost.tid, info.tids.home);
      assert.match(lost.message, new RegExp(`\\(${s.expect.cause}\\)`));
      // The home thread is parked in ppoll, no timeout, on the context's eventfd.
      const home = r.threads.find((t) => t.tid === info.tids.home)!;
      assert.equal(home.syscall, 'ppoll');
      assert.equal(home.timeout?.infinite, true);
      assert.ok(home.watched.some((w) => w.fd === info.eventfd && w.kind === 'eventfd'));
      if (s.device) {
        // The stale fd set, seen from /proc alone: the device eventfd holds a kick nobody polls.
        const stale = r.findings.find((f) => f.kind === 'unwatched-eventfd');
        assert.equal(stale?.fd, info.deviceFd);
        assert.ok(!home.watched.some((w) => w.fd === info.deviceFd));
      }
    } finally {
      await stopChild(child);
    }
  });
}

test('inspect does not flag the fixed replays', { skip, timeout: TIMEOUT }, async () => {
  for (const id of ['enable-external', 'accept-steal', 'stop-flag']) {
    const { child, info } = await startJson<ReproLine>([CLI, 'repro', id, '--fixed', '--json', '--hold', '300', '--stall', '100']);
    try {
      assert.equal(info.outcome.pass, true, info.outcome.reason);
      const r = await inspect(info.pid, { stallMs: 100 });
      assert.equal(r.flagged, false, `${id}: ${JSON.stringify(r.findings)}`);
    } finally {
      await stopChild(child);
    }
  }
});

interface Healthy {
  pid: number;
  homeTid: number;
  eventfd: number;
}

test('inspect: a healthy IOThread is not flagged; its exposed context reads as idle', { skip, timeout: TIMEOUT }, async () => {
  const { child, info } = await startJson<Healthy>([fixture('healthy-iothread')]);
  try {
    const r = await inspect(info.pid, { samples: 3, intervalMs: 100, stallMs: 100 });
    assert.equal(r.flagged, false, JSON.stringify(r.findings));
    assert.equal(r.findings.filter((f) => f.severity !== 'info').length, 0, JSON.stringify(r.findings));
    const ctx = r.contexts.find((c) => c.label === 'healthy-iothread');
    assert.ok(ctx?.valid, JSON.stringify(r.contexts));
    assert.equal(ctx.homeTid, info.homeTid);
    assert.equal(ctx.report?.verdict, 'ok');
    const home = r.threads.find((t) => t.tid === info.homeTid)!;
    assert.equal(home.syscall, 'ppoll');
    assert.ok(home.parkedInfinite);
    // Node's main thread waits in epoll: its loop's eventfds count as watched.
    const main = r.threads.find((t) => t.tid === info.pid)!;
    assert.match(main.syscall ?? '', /epoll/);
  } finally {
    await stopChild(child);
  }
});

test('inspect: a stopped IOThread with a kick in its eventfd is late (a wake-up in flight to a thread that does not run), never lost', { skip, timeout: TIMEOUT }, async () => {
  const { child, info } = await startJson<Healthy>([fixture('healthy-iothread')]);
  try {
    await waitFor(() => isParkedIn(info.pid, info.homeTid, syscallNumber(kernelArch(), 'ppoll')), { what: 'the IOThread asleep in ppoll' });
    process.kill(info.pid, 'SIGSTOP'); // the test stops it; inspect itself never does
    await waitFor(() => taskStat(info.pid, info.homeTid).state === 't' || taskStat(info.pid, info.homeTid).state === 'T', { what: 'the IOThread stopped' });
    const pidfd = pidfdOpen(info.pid);
    const dup = pidfdGetfd(pidfd, info.eventfd);
    eventfdWrite(dup, 1n); // a kick outside the protocol: nothing is pending in its state
    close(dup);
    close(pidfd);
    const r = await inspect(info.pid, { samples: 2, intervalMs: 100, stallMs: 0 });
    const home = r.threads.find((t) => t.tid === info.homeTid)!;
    assert.equal(home.state, 'T');
    const ready = r.findings.find((f) => f.kind === 'ready-not-woken');
    assert.equal(ready?.tid, info.homeTid, JSON.stringify(r.findings));
    assert.equal(ready?.fd, info.eventfd);
    assert.equal(ready?.verdict, 'late');
    assert.equal(ready?.severity, 'warning');
    assert.match(ready?.message ?? '', /is stopped \(T\) in ppoll with no timeout while fd \d+ \(eventfd count 1\) is ready/);
    assert.ok(!r.findings.some((f) => f.verdict === 'lost'), JSON.stringify(r.findings));
    assert.equal(r.flagged, false);
    const ctx = r.contexts.find((c) => c.label === 'healthy-iothread')!;
    assert.equal(ctx.report?.verdict, 'ok');
    assert.equal(ctx.report?.cause, 'idle');
    assert.equal(ctx.report?.dump.eventfdReadable, true);
  } finally {
    process.kill(info.pid, 'SIGCONT');
    await stopChild(child);
  }
});

test('inspect classifies a late wake-up of an exposed context (the late-wake control, this process)', { timeout: TIMEOUT }, async () => {
  const run = new ReplayRun('late-wake', { fixed: true, stallMs: 300 });
  try {
    run.start();
    await waitFor(() => run.monitor.check().verdict === 'late', { what: 'the late stall' });
    const r = await inspect(process.pid, { samples: 2, intervalMs: 50, stallMs: 300 });
    const late = r.findings.find((f) => f.kind === 'context-late');
    assert.ok(late, JSON.stringify(r.findings));
    assert.equal(late.severity, 'warning');
    assert.equal(late.tid, run.tids().home);
    assert.match(late.message, /LATE wake-up \(wake-in-flight\)/);
    assert.ok(!r.findings.some((f) => f.kind === 'context-lost'));
  } finally {
    await run.shutdown();
  }
});

test('inspect CLI: exit 1 when flagged, 0 when not, 2 for a missing pid or bad usage', { skip, timeout: TIMEOUT }, async () => {
  const hung = await startJson<ReproLine>([CLI, 'repro', 'stop-flag', '--json', '--hold', '300', '--stall', '100']);
  try {
    const r = runNode([CLI, 'inspect', String(hung.info.pid), '--stall', '100', '--no-color']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /LOST +replay "stop-flag.historical"/);
    const j = runNode([CLI, 'inspect', String(hung.info.pid), '--json', '--stall', '100']);
    assert.equal(j.status, 1);
    assert.equal(JSON.parse(j.stdout).flagged, true);
  } finally {
    await stopChild(hung.child);
  }
  const healthy = await startJson<Healthy>([fixture('healthy-iothread')]);
  try {
    const r = runNode([CLI, 'inspect', String(healthy.info.pid), '--samples', '2']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Not flagged/);
    // --watch alone samples for its default; --watch=S for S seconds (at --interval apart).
    const w = runNode([CLI, 'inspect', String(healthy.info.pid), '--watch=1', '--interval', '250', '--json']);
    assert.equal(w.status, 0, w.stdout + w.stderr);
    const wr = JSON.parse(w.stdout);
    assert.equal(wr.samples, 5);
    assert.ok(wr.spanMs >= 1000, String(wr.spanMs));
  } finally {
    await stopChild(healthy.child);
  }
  const gone = runNode([CLI, 'inspect', '4194000']);
  assert.equal(gone.status, 2);
  assert.match(gone.stderr, /ESRCH: no such process/);
  assert.equal(runNode([CLI, 'inspect', 'abc']).status, 2);
  assert.equal(runNode([CLI, 'inspect', String(process.pid), '--watch=0']).status, 2);
  assert.equal(runNode([CLI, 'inspect', String(process.pid), '--watch=x']).status, 2);
  assert.equal(runNode([CLI, 'inspect']).status, 2);
});

test('inspect: a missing pid is ESRCH; bad arguments are Node-style errors', async () => {
  await assert.rejects(inspect(4194000), { code: 'ESRCH', syscall: 'inspect 4194000' });
  await assert.rejects(inspect(0), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(inspect('1' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(inspect(process.pid, { samples: 0 }), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(inspect(process.pid, { watchMs: 0 }), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(inspect(process.pid, { onSample: 'x' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('inspect: without ptrace access the error says which file and why', { skip, timeout: TIMEOUT }, async () => {
  // Inspect pid 1 as an unprivileged user (as root: a child running as nobody).
  const script = `require(${JSON.stringify(join(LIB_PATH, 'tools', 'inspect', 'index.js'))}).inspect(1).then(
    () => console.log('{}'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message, hint: e.hint })))`;
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const r = runNode(['-e', script], asNobody);
  assert.equal(r.status, 0, r.stderr);
  const e = JSON.parse(r.stdout) as { code: string; message: string; hint: string };
  assert.ok(e.code === 'EACCES' || e.code === 'EPERM', r.stdout);
  assert.match(e.message, /\/proc\/1\//);
  assert.match(e.hint, /ptrace/);
});

test('inspect reads its own process: this thread runs, fds are listed without leaking', async () => {
  const before = openFds();
  const r = await inspect(process.pid, { samples: 1 });
  const after = openFds();
  assert.equal(after, before);
  assert.ok(r.threads.length >= 1);
  assert.equal(r.schemaVersion, 2);
  assert.ok(r.fds.some((f) => f.fd === 0 || f.fd === 1 || f.fd === 2));
});
