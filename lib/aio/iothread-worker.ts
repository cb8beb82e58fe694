// The body of an IOThread: create the context, run the user's setup(ctx, data), serve
// calls between polls until the starter's STOP message, then end the thread whatever
// setup left behind. Started by IOThread.start(); not a public module.
import { workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { invalidArgValue, invalidReturnValue } from '../errors';
import { closeThreadChannels } from './byte-channel';
import { A, AnyFunction } from './call-protocol';
import { CallServer } from './call-server';
import { AioContext } from './context';
import { reviveRefs } from './refs';
import { serializeError } from './thread-errors';
import type { IOThreadWorkerData } from './iothread';

type Module = Record<string, unknown> & { default?: Record<string, unknown> };
type Setup = (ctx: AioContext, data: unknown) => unknown;

async function loadModule(module: string): Promise<{ setup: Setup; functions: Map<string, AnyFunction> }> {
  let mod: Module;
  try {
    mod = require(module) as Module;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw err;
    // An ES module: a real dynamic import (tsc would turn `import()` into require()).
    const importEsm = new Function('url', 'return import(url)') as (url: string) => Promise<Module>;
    mod = await importEsm(pathToFileURL(module).href);
  }
  const exports = typeof mod.setup === 'function' ? mod : (mod.default ?? {});
  if (typeof exports.setup !== 'function') throw invalidArgValue('options.module', module, 'does not export a setup(ctx, data) function');
  const functions = new Map<string, AnyFunction>();
  for (const [name, value] of Object.entries(exports)) {
    if (name !== 'setup' && typeof value === 'function') functions.set(name, value as AnyFunction);
  }
  return { setup: exports.setup as Setup, functions };
}

/** One turn of this thread's Node event loop: microtasks run out, settled calls answer. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function main(): Promise<void> {
  const { module, data, name, sigioKick, port } = workerData as IOThreadWorkerData;
  const what = `IOThread ${name}`;
  const ctx = new AioContext({ name, sigioKick });
  // The starter can wake the context from now on (to end a setup that sleeps in it).
  port.postMessage([A.CREATED, ctx.ref()]);
  let server: CallServer | null = null;
  let ready = false;
  try {
    const { setup, functions } = await loadModule(module);
    server = new CallServer(ctx, port, functions);
    const setupResult = await setup(ctx, reviveRefs(data));
    try {
      port.postMessage([A.READY, setupResult, [...functions.keys()], server.ref()]);
    } catch (err) {
      throw invalidReturnValue('setup()', `returned a value that cannot be structured-cloned (${(err as Error).message})`);
    }
    ready = true;
    server.ready();
    // The stop request arrives as a message behind the calls already sent, drained by the
    // call bottom half, never as a bare flag: the BhRef.schedule() that follows it makes
    // the blocking poll return, and `stopping` is then read on this thread.
    while (!server.stopping) {
      ctx.poll(true);
      // A call returned a promise: let its continuations run before the next sleep. They
      // may wait only for this context's own callbacks (or microtasks): the Node event
      // loop of this thread runs only here.
      if (server.asyncPending > 0) await turn();
    }
  } catch (err) {
    port.postMessage([ready ? A.CRASHED : A.FAILED, serializeError(err)]);
  } finally {
    server?.finish(what);
    closeThreadChannels();
    ctx.close();
  }
  // Timers, handles or workers that setup() left behind would keep this thread alive.
  process.exit(0);
}

main().catch((err) => {
  // Only a failure of the machinery itself (postMessage of an error report): surfaces as
  // the Worker's 'error' event.
  process.nextTick(() => {
    throw err;
  });
});
