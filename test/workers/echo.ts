// A worker body kept in its own module, for runInWorker({ file }) (see helpers.test.ts).
import type { WorkerContext } from '../helpers';

export default async function echo({ sys, data, send, receive }: WorkerContext<{ greeting: string }>) {
  send({ greeting: data.greeting, tid: sys.gettid() });
  const reply: string = await receive();
  return `${data.greeting} ${reply}`;
}
