// The body of an IOThread: create the context, run the user's setup(ctx, data), then
// poll until the stop bottom half runs. Started by IOThread.start(); not a public module.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { AioContext } from './context';
import { reviveRefs } from './refs';
import type { IOThreadReady, IOThreadWorkerData } from './iothread';

type SetupModule = { setup?: (ctx: AioContext, data: unknown) => unknown; default?: { setup?: unknown } };

async function loadSetup(module: string): Promise<(ctx: AioContext, data: unknown) => unknown> {
  let mod: SetupModule;
  try {
    mod = require(module) as SetupModule;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw err;
    // An ES module: a real dynamic import (tsc would turn `import()` into require()).
    const importEsm = new Function('url', 'return import(url)') as (url: string) => Promise<SetupModule>;
    mod = await importEsm(pathToFileURL(module).href);
  }
  const setup = mod.setup ?? mod.default?.setup;
  if (typeof setup !== 'function') throw new TypeError(`${module} does not export a setup(ctx, data) function`);
  return setup as (ctx: AioContext, data: unknown) => unknown;
}

async function main(): Promise<void> {
  const { module, data, name, sigioKick } = workerData as IOThreadWorkerData;
  const ctx = new AioContext({ name, sigioKick });
  let stopping = false;
  try {
    // The stop request arrives as a bottom half, never as a bare flag: a flag set between
    // our check and the sleep would be lost (QEMU 2362a28ea1). The bottom half's notify()
    // makes the blocking poll below return, and the flag is then read on this thread.
    const stopBh = ctx.bhNew(() => {
      stopping = true;
    });
    const setup = await loadSetup(module);
    const setupResult = await setup(ctx, reviveRefs(data));
    const ready: IOThreadReady = { type: 'ready', ctx: ctx.ref(), stop: stopBh.ref(), setupResult };
    parentPort!.postMessage(ready);
    while (!stopping) ctx.poll(true);
  } finally {
    ctx.close();
  }
}

main().catch((err) => {
  // Surfaces as the Worker's 'error' event (start() rejects, or IOThread emits 'error').
  process.nextTick(() => {
    throw err;
  });
});
