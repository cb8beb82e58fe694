// `inspect` against real programs from Debian (`npm run test:integration`; .ci/run installs
// qemu-system-x86 qemu-utils nginx dbus python3 first). A real QEMU with an IOThread and a
// virtio-blk dataplane: healthy, stopped with a ready notifier (late), and drained by a
// request held at a blkdebug break point while its ioeventfd is kicked (lost, naming the
// fd and the drain). Healthy nginx, dbus-daemon, Python asyncio with an executor and Node
// with workers: no lost or late finding. Every process started here is ended, pass or fail.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { test, TestContext } from 'node:test';
import { inspect, InspectReport } from '../../lib/tools/inspect';
import { taskIds, taskStat } from '../../lib/tools/inspect/procfs';
import { kernelArch } from '../../lib/tools/inspect/syscalls';
import { close, eventfdWrite } from '../../lib/sys/fd';
import { pidfdGetfd, pidfdOpen } from '../../lib/sys/pidfd';
import { CLI, runNode, startJson, stopChild, waitFor } from '../support';
import { DEVICE_ID, hmp, iothreadSet, IOTHREAD_ID, killQemu, qmpSend, Qemu, QEMU, startQemu } from '../support/qemu';

const TIMEOUT = 240_000;

function installed(program: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Fails (not skips) when a program the suite needs is missing: .ci/run installs them. */
function need(program: string, pkg: string): void {
  assert.ok(installed(program), `${program} is not installed: apt-get install ${pkg}`);
}

/** Adds 1 to eventfd `fd` of process `pid` from outside (a kick the target did not send). */
function kick(pid: number, fd: number): void {
  const pidfd = pidfdOpen(pid);
  try {
    const dup = pidfdGetfd(pidfd, fd);
    eventfdWrite(dup, 1n);
    close(dup);
  } finally {
    close(pidfd);
  }
}

function serious(r: InspectReport) {
  return r.findings.filter((f) => f.severity !== 'info');
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'aio-notify-it-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const qemuSkip = kernelArch() === 'x86_64' ? false : 'QEMU scenes run on x86_64 hosts (aarch64 keeps its syscall-table tests)';

/** Starts QEMU and waits (bounded) until SeaBIOS has started the dataplane: notifier + ioeventfd in the IOThread's set. */
async function qemuWithDataplane(t: TestContext, blkdebug = false): Promise<{ q: Qemu; tid: number; notifier: number; ioeventfd: number }> {
  need(QEMU, 'qemu-system-x86 qemu-utils');
  const q = startQemu(tempDir(t), { blkdebug });
  t.after(() => killQemu(q));
  // The set seen when the condition held: the IOThread is not always inside ppoll, so a second
  // read of /proc could find it between two polls, with no fd set at all.
  const set = await waitFor(
    () => {
      const s = iothreadSet(q.pid);
      return s && s.eventfds.length >= 2 ? s : null;
    },
    { what: () => `QEMU's IOThread to poll the virtio-blk ioeventfd (log: ${q.log()})` },
  );
  // The IOThread's AioContext notifier is made with the IOThread, before any device's fd.
  return { q, tid: set.tid, notifier: set.eventfds[0], ioeventfd: set.eventfds[set.eventfds.length - 1] };
}

test('QEMU with an IOThread and a virtio-blk dataplane, healthy: exit 0, no lost or late finding, thread roles named', { skip: qemuSkip, timeout: TIMEOUT }, async (t) => {
  const { q, tid } = await qemuWithDataplane(t);
  const t0 = performance.now();
  const r = runNode([CLI, 'inspect', String(q.pid), '--json']);
  const ms = performance.now() - t0;
  t.diagnostic(`one inspect call (CLI, new Node process included): ${ms.toFixed(0)} ms`);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout) as InspectReport;
  assert.deepEqual(serious(report), [], JSON.stringify(report.findings));
  assert.equal(report.program.qemu, true);
  assert.equal(report.threads.find((x) => x.tid === tid)?.role, `QEMU IOThread ${IOTHREAD_ID}`);
  assert.ok(report.threads.some((x) => /^QEMU vCPU 0 \(TCG\)$/.test(x.role ?? '')), JSON.stringify(report.threads.map((x) => [x.comm, x.role])));
  assert.equal(report.threads.find((x) => x.tid === q.pid)?.role, 'QEMU main loop');
  // The IOThread's GMainContext wake-up eventfd holds a count nobody reads: information only.
  for (const f of report.findings.filter((x) => x.kind === 'unwatched-eventfd')) {
    assert.equal(f.verdict, 'benign');
    assert.match(f.causes.join(' '), /GMainContext/);
  }
});

test('QEMU stopped (SIGSTOP) with its IOThread notifier made ready: late, never lost', { skip: qemuSkip, timeout: TIMEOUT }, async (t) => {
  const { q, tid, notifier } = await qemuWithDataplane(t);
  process.kill(q.pid, 'SIGSTOP');
  await waitFor(() => taskIds(q.pid).every((x) => taskStat(q.pid, x).state === 'T'), { what: 'every QEMU thread stopped' });
  kick(q.pid, notifier);
  const r = await inspect(q.pid);
  const f = r.findings.find((x) => x.kind === 'ready-not-woken' && x.tid === tid);
  assert.equal(f?.verdict, 'late', JSON.stringify(r.findings));
  assert.equal(f.fd, notifier);
  assert.match(f.message, new RegExp(`thread ${tid} \\(IO ${IOTHREAD_ID}, QEMU IOThread ${IOTHREAD_ID}\\) is stopped \\(T\\) in ppoll`));
  assert.match(f.causes[0], /SIGCONT/);
  assert.deepEqual(r.findings.filter((x) => x.verdict === 'lost'), [], JSON.stringify(r.findings));
  assert.equal(r.flagged, false);
  // The main loop's finite ppoll timeout is the time left that the stop wrote back, and it says so.
  const main = r.threads.find((x) => x.tid === q.pid)!;
  if (main.syscall === 'ppoll' && main.timeout && !main.timeout.infinite) assert.equal(main.timeout.leftAfterStop, true);
});

test('QEMU drained by a request held at a blkdebug break point, its ioeventfd kicked: lost, naming the fd and the drain', { skip: qemuSkip, timeout: TIMEOUT }, async (t) => {
  const { q, tid, ioeventfd } = await qemuWithDataplane(t, true);
  const backend = `/machine/peripheral/${DEVICE_ID}/virtio-backend`;
  let closeQmp: (() => void) | undefined;
  t.after(() => closeQmp?.());
  const r = await inspect(q.pid, {
    samples: 16,
    intervalMs: 100,
    onSample: async (n) => {
      if (n !== 2) return; // two samples see the ioeventfd polled first
      await hmp(q.hmp, [`qemu-io -d ${backend} "break read_aio A"`, `qemu-io -d ${backend} "aio_read 0 512"`]);
      // block_resize drains the node: it waits for the held request, which never completes.
      closeQmp = await qmpSend(q.qmp, { execute: 'block_resize', arguments: { device: 'd0', size: 2 << 20 } });
      // A ppoll of the IOThread without the ioeventfd (not a moment between two polls).
      await waitFor(
        () => {
          const set = iothreadSet(q.pid);
          return set !== null && !set.eventfds.includes(ioeventfd);
        },
        { what: 'the drain to take the ioeventfd out of the IOThread set' },
      );
      kick(q.pid, ioeventfd);
    },
  });
  const lost = r.findings.filter((x) => x.verdict === 'lost');
  assert.equal(lost.length, 1, JSON.stringify(r.findings));
  const [f] = lost;
  assert.equal(f.kind, 'unwatched-eventfd');
  assert.equal(f.fd, ioeventfd);
  assert.match(f.message, new RegExp(`eventfd ${ioeventfd} holds 1 pending wake-up\\(s\\) that nobody reads: thread ${tid} \\(IO ${IOTHREAD_ID}, QEMU IOThread ${IOTHREAD_ID}\\) polled it until`));
  assert.ok(f.causes.some((c) => /drained section that never ended/.test(c)), JSON.stringify(f.causes));
  assert.ok(!/321d1dba8b/.test(f.message), 'a commit is a candidate cause, never the observation');
  assert.equal(r.flagged, true);
});

function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

test('nginx (master and worker, a keep-alive connection open): no lost or late finding', { timeout: TIMEOUT }, async (t) => {
  need('nginx', 'nginx');
  const dir = tempDir(t);
  const sock = join(dir, 'nginx.sock');
  writeFileSync(
    join(dir, 'nginx.conf'),
    `pid ${dir}/nginx.pid;
worker_processes 1;
daemon off;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen unix:${sock}; location / { return 200 "ok\\n"; } }
}
`,
  );
  const nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: 'ignore' });
  t.after(() => stopChild(nginx, 'SIGQUIT'));
  await waitFor(() => existsSync(sock) && childrenOf(nginx.pid!).length > 0, { what: 'nginx to listen with a worker' });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const body = await new Promise<string>((resolve, reject) => {
    const req = request({ socketPath: sock, path: '/', agent }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve(b));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(body, 'ok\n');
  for (const pid of [nginx.pid!, ...childrenOf(nginx.pid!)]) {
    const r = await inspect(pid);
    assert.deepEqual(serious(r), [], `${pid}: ${JSON.stringify(r.findings)}`);
    if (pid === nginx.pid) {
      const master = r.threads[0];
      assert.equal(master.syscall, 'rt_sigsuspend');
      assert.equal(master.timeout?.infinite, true);
      assert.equal(master.note, null);
    }
  }
});

test('dbus-daemon (a session bus): no lost or late finding', { timeout: TIMEOUT }, async (t) => {
  need('dbus-daemon', 'dbus');
  const dir = tempDir(t);
  const bus = spawn('dbus-daemon', ['--session', '--nofork', '--nopidfile', '--print-address=1', `--address=unix:path=${join(dir, 'bus')}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => stopChild(bus));
  let out = '';
  bus.stdout!.on('data', (d) => (out += d));
  await waitFor(() => out.includes('\n'), { what: 'dbus-daemon to print its address' });
  const r = await inspect(bus.pid!);
  assert.deepEqual(serious(r), [], JSON.stringify(r.findings));
});

test('Python asyncio with a thread-pool executor: no lost or late finding', { timeout: TIMEOUT }, async (t) => {
  need('python3', 'python3');
  const script = `
import asyncio, concurrent.futures, json, os, time
async def main():
    loop = asyncio.get_running_loop()
    ex = concurrent.futures.ThreadPoolExecutor(4)
    await asyncio.gather(*(loop.run_in_executor(ex, time.sleep, 0.01) for _ in range(8)))
    print(json.dumps({"pid": os.getpid()}), flush=True)
    while True:
        await loop.run_in_executor(ex, time.sleep, 0.05)
        await asyncio.sleep(0.2)
asyncio.run(main())
`;
  const { child, info } = await startJson<{ pid: number }>(['-c', script], 60_000, { command: 'python3' });
  t.after(() => stopChild(child));
  const r = await inspect(info.pid);
  assert.deepEqual(serious(r), [], JSON.stringify(r.findings));
  assert.ok(r.threads.length >= 5, 'the loop thread and the executor threads');
});

test('Node with worker threads and libuv thread-pool work: no lost or late finding', { timeout: TIMEOUT }, async (t) => {
  const script = `
const { Worker } = require('node:worker_threads');
const fs = require('node:fs');
let online = 0;
for (let i = 0; i < 2; i++) {
  new Worker('setInterval(() => {}, 100)', { eval: true }).on('online', () => {
    if (++online === 2) console.log(JSON.stringify({ pid: process.pid }));
  });
}
setInterval(() => fs.stat('/', () => {}), 50);
`;
  const { child, info } = await startJson<{ pid: number }>(['-e', script]);
  t.after(() => stopChild(child));
  const r = await inspect(info.pid);
  assert.deepEqual(serious(r), [], JSON.stringify(r.findings));
});
