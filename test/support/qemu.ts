// A real QEMU for the integration tests: Debian's qemu-system-x86_64 with an IOThread and a
// virtio-blk dataplane, its monitors on Unix sockets (QMP for block_resize, HMP for
// qemu-io), and a disk whose boot sector halts the vCPU: SeaBIOS sets the virtio-blk device
// up (which starts the dataplane: its ioeventfd joins the IOThread's set), boots the sector
// and the guest sleeps in hlt, so the emulator stays idle.
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { join } from 'node:path';
import { readThread } from '../../lib/tools/inspect/threads';
import { kernelArch } from '../../lib/tools/inspect/syscalls';
import { taskIds, taskStat } from '../../lib/tools/inspect/procfs';
import { RemoteMemory } from '../../lib/tools/inspect/remote-memory';
import { stopChild } from './children';
import { sleep } from './wait';

export const QEMU = 'qemu-system-x86_64';
export const DEVICE_ID = 'vblk0';
export const IOTHREAD_ID = 'io0';

export interface Qemu {
  child: ChildProcess;
  pid: number;
  qmp: string;
  hmp: string;
  log: () => string;
}

/** A 1 MiB raw disk whose boot sector is `cli; hlt; jmp .-1` (the guest idles forever). */
export function writeHaltDisk(path: string): void {
  const disk = Buffer.alloc(1 << 20);
  disk.set([0xfa, 0xf4, 0xeb, 0xfd], 0);
  disk[510] = 0x55;
  disk[511] = 0xaa;
  writeFileSync(path, disk);
}

/** Starts QEMU in `dir`; `blkdebug` puts a blkdebug filter under the disk (for break points). */
export function startQemu(dir: string, { blkdebug = false } = {}): Qemu {
  const disk = join(dir, 'disk.img');
  writeHaltDisk(disk);
  const qmp = join(dir, 'qmp.sock');
  const hmp = join(dir, 'hmp.sock');
  // prettier-ignore
  const args = [
    '-accel', 'tcg', '-m', '256', '-nographic', '-nodefaults', '-name', 'inspect-it,debug-threads=on',
    '-object', `iothread,id=${IOTHREAD_ID}`,
    '-drive', `if=none,id=d0,file=${blkdebug ? 'blkdebug::' : ''}${disk},format=raw`,
    '-device', `virtio-blk-pci,drive=d0,iothread=${IOTHREAD_ID},id=${DEVICE_ID}`,
    '-qmp', `unix:${qmp},server=on,wait=off`,
    '-monitor', `unix:${hmp},server=on,wait=off`,
  ];
  const child = spawn(QEMU, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, pid: child.pid!, qmp, hmp, log: () => out };
}

/** SIGKILL (QEMU stuck in a drain ignores SIGTERM: its main loop never gets to it) and reap. */
export async function killQemu(q: Qemu): Promise<void> {
  if (q.child.exitCode !== null || q.child.signalCode !== null) return;
  try {
    process.kill(q.pid, 'SIGCONT');
  } catch {
    // gone already
  }
  await stopChild(q.child, 'SIGKILL');
}

/** The IOThread's tid and the eventfds its ppoll set holds now, ascending; null when there is
 * no IOThread or it is not inside ppoll/poll at this instant (it runs between polls). */
export function iothreadSet(pid: number): { tid: number; eventfds: number[] } | null {
  const tid = taskIds(pid).find((t) => {
    try {
      return taskStat(pid, t).comm === `IO ${IOTHREAD_ID}`;
    } catch {
      return false;
    }
  });
  if (tid === undefined) return null;
  const mem = new RemoteMemory(pid);
  try {
    const t = readThread(pid, tid, kernelArch(), mem);
    if (t.syscall !== 'ppoll' && t.syscall !== 'poll') return null;
    return { tid, eventfds: t.watched.map((w) => w.fd).sort((a, b) => a - b) };
  } catch {
    return null; // the thread left the call while it was read
  } finally {
    mem.close();
  }
}

/** A line-oriented monitor connection (QMP speaks JSON lines; HMP prompts with "(qemu) "). */
class Monitor {
  #sock: Socket;
  #buf = '';
  #waiters: Array<() => void> = [];

  private constructor(sock: Socket) {
    this.#sock = sock;
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.#buf += d;
      for (const w of this.#waiters.splice(0)) w();
    });
    sock.on('error', () => undefined); // a killed QEMU closes it; the test's bounded waits report
  }

  static async open(path: string, timeoutMs = 30_000): Promise<Monitor> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      try {
        const sock = connect(path);
        await once(sock, 'connect');
        return new Monitor(sock);
      } catch (error) {
        if (Date.now() > until) throw error;
        await sleep(50);
      }
    }
  }

  /** Waits (bounded) until the buffer holds `pattern`; returns and drops the text up to its end. */
  async until(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.#buf);
      if (m) {
        const text = this.#buf.slice(0, m.index + m[0].length);
        this.#buf = this.#buf.slice(m.index + m[0].length);
        return text;
      }
      const left = until - Date.now();
      if (left <= 0) throw new Error(`monitor: no ${pattern} within ${timeoutMs} ms; got ${JSON.stringify(this.#buf.slice(-300))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  send(line: string): void {
    this.#sock.write(`${line}\n`);
  }

  close(): void {
    this.#sock.destroy();
  }
}

/** Runs HMP commands, each to its next prompt. */
export async function hmp(path: string, commands: string[]): Promise<string> {
  const m = await Monitor.open(path);
  try {
    await m.until(/\(qemu\) /);
    let out = '';
    for (const c of commands) {
      m.send(c);
      out += await m.until(/\(qemu\) /);
    }
    return out;
  } finally {
    m.close();
  }
}

/** Opens QMP and sends `command` after the capabilities handshake; does not wait for its answer. */
export async function qmpSend(path: string, command: object): Promise<() => void> {
  const m = await Monitor.open(path);
  await m.until(/"QMP"[^\n]*\n/);
  m.send(JSON.stringify({ execute: 'qmp_capabilities' }));
  await m.until(/"return"[^\n]*\n/);
  m.send(JSON.stringify(command));
  return () => m.close();
}
