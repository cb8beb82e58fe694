// This process's file descriptors, through /proc/self: the one way the tests count them and
// check that code leaves the table as it found it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { afterEach, beforeEach } from 'node:test';
import { WAIT_MS } from './env';
import { waitFor } from './wait';

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

/** The descriptors of this process that point to `target`, e.g. 'anon_inode:[eventpoll]'. */
export function fdsTo(target: string): number[] {
  return [...listFds()].filter(([, t]) => t === target).map(([fd]) => fd);
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
