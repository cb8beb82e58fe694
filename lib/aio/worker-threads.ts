// node:worker_threads, loaded on first use: loading it costs about 4 ms, which
// require('aio-notify') does not pay unless the program starts or serves an IOThread.
type WorkerThreads = typeof import('node:worker_threads');

let loaded: WorkerThreads | undefined;

export function workerThreads(): WorkerThreads {
  return (loaded ??= require('node:worker_threads') as WorkerThreads);
}
