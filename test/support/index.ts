// The tests' one home for helpers: `import { waitFor, openFds, ... } from '../support'`.
//   env        paths in dist (LIB_PATH, CLI, fixture()), the host (EMULATED, SLOW), time bounds
//   wait       sleep, waitFor (poll a condition), within (bound a promise)
//   fds        the descriptor table: openFds (the one count), listFds, leak checks
//   threads    /proc/self/task: ids, states, blocked signals
//   scope      scoped(): what a test body opened, released when it ends
//   workers    startWorker / runInWorker: the one worker-thread runner
//   children   runChild (code in a child Node), startJson, runNode, stopChild
//   errors     expected system and argument errors
//   controls   positive controls that cannot run here (a skip .ci/run reads)
//   aio        contexts asleep, IOThreads started and stopped (rescued if need be)
//   rescue, hang-guard   a lost wake-up rescued outside the protocol, and reported
//   c-fixtures the C programs of test/fixtures/c, built on first use
// Not re-exported: qemu (integration only; it loads the /proc inspector), the runner's own
// progress.ts and reporter.ts (scripts/node-test.sh names them), hang-guard-worker.ts (a thread).
export * from './env';
export * from './wait';
export * from './fds';
export * from './threads';
export * from './scope';
export * from './workers';
export * from './children';
export * from './errors';
export * from './controls';
export * from './aio';
export * from './rescue';
export * from './hang-guard';
export * from './c-fixtures';
