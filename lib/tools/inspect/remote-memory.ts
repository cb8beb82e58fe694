// Reads another process's memory through /proc/<pid>/mem (pread at the address). Needs
// the same ptrace access as /proc/<pid>/task/*/syscall; the target keeps running.
import { closeSync, openSync, readSync } from 'node:fs';

export class RemoteMemory {
  readonly pid: number;
  #fd: number;

  constructor(pid: number) {
    this.pid = pid;
    this.#fd = openSync(`/proc/${pid}/mem`, 'r');
  }

  /** `length` bytes at `address`; throws (EIO) when the range is not mapped. */
  read(address: bigint, length: number): Buffer {
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.#fd, buf, done, length - done, address + BigInt(done));
      if (n === 0) break;
      done += n;
    }
    if (done !== length) throw Object.assign(new Error(`EIO: short read of process memory, read`), { code: 'EIO' });
    return buf;
  }

  /** A struct timespec (or timeval, whose second field is µs) as ns; `micro` for timeval. */
  readTimespecNs(address: bigint, micro = false): number {
    const b = this.read(address, 16);
    const sec = Number(b.readBigInt64LE(0));
    const frac = Number(b.readBigInt64LE(8));
    return sec * 1e9 + frac * (micro ? 1e3 : 1);
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }
}
