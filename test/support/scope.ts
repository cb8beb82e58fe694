// Cleanup inside the test body. node:test runs afterEach hooks (where leakCheck looks) before
// the test's own t.after() hooks, so what a test opens must be released inside the test
// function: scoped() does that, whatever the test's outcome.
import fs from 'node:fs';
import type { TestContext } from 'node:test';
import type { TestWorker } from './workers';

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

  /**
   * Ends `w` when the test ends, though it may be asleep in a native call that terminate()
   * cannot interrupt (ppoll): unless it has exited by then, `wake()` makes that call return
   * (writes the eventfd it polls, say) and the thread is awaited.
   */
  wakeWorker<W extends TestWorker>(w: W, wake: () => void): W {
    this.defer(async () => {
      if (!w.hasExited) {
        wake();
        await w.exited;
      }
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
