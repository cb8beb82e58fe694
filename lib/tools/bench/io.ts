// Work into an IOThread, side by side with Node's own MessagePort to an idle worker:
// thread.call() round trips (empty and 1 KiB argument) against a request/response over
// postMessage, and the byte channel's message rate against postMessage of the same bytes.
import { join } from 'node:path';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { IOThread } from '../../aio/iothread';
import { ByteChannelProducer } from '../../aio/byte-channel';
import { quantile, sorted } from '../stats';
import type * as IoModule from './io-iothread';
import { K } from './io-iothread';
import { median } from './timing';
import { awaitCount, startPeer } from './wake/method';

export interface IoConfig {
  /** Interleaved rounds; each method takes `samples` round trips per round. */
  callRounds: number;
  callSamples: number;
  /** Messages per channel round at 64 bytes (a quarter of it at 4 KiB). */
  messages: number;
  channelRounds: number;
  /** Ring size of the channel. */
  capacity: number;
}

export interface CallRow {
  id: string;
  label: string;
  n: number;
  p50Ns: number;
  p99Ns: number;
}

export interface ChannelRow {
  id: string;
  label: string;
  bytes: number;
  messages: number;
  /** Median over the rounds. */
  msgsPerSec: number;
}

export interface IoReport {
  callRounds: number;
  callSamples: number;
  calls: CallRow[];
  channel: ChannelRow[];
  /** Bytes the IOThread allocates per channel message it reads (drain()). */
  allocBytesPerMessage: { bytes64: number; bytes4k: number };
}

const IO_MODULE = join(__dirname, 'io-iothread.js');
const KIB = new Uint8Array(1024);

/** One method of a round-trip or rate measurement. */
interface Method<R> {
  id: string;
  label: string;
  run(): Promise<R>;
}

/** Runs every method `rounds` times, rotating the order, after one unrecorded warm-up round. */
async function interleaved<R>(methods: Array<Method<R>>, rounds: number, progress: (text: string) => void, what: string): Promise<R[][]> {
  const out = methods.map(() => [] as R[]);
  for (let r = -1; r < rounds; r++) {
    progress(`${what}: round ${r + 1}/${rounds}`);
    for (let j = 0; j < methods.length; j++) {
      const at = (j + Math.max(r, 0)) % methods.length;
      const result = await methods[at].run();
      if (r >= 0) out[at].push(result);
    }
  }
  return out;
}

export async function measureIo(c: IoConfig, progress: (text: string) => void = () => {}): Promise<IoReport> {
  const counter = new SharedArrayBuffer(8);
  const words = new Int32Array(counter);
  const thread = await IOThread.start<typeof IoModule>({ module: IO_MODULE, data: { counter, capacity: c.capacity }, name: 'bench-io', sigioKick: false });
  const { worker, exited } = await startPeer(join(__dirname, 'io-peer-worker.js'), { counter });
  try {
    const calls = await measureCalls(thread, worker, c, progress);
    const channel = await measureChannel(thread.setupResult.input, worker, words, c, progress);
    progress('byte channel: allocation per message on the IOThread');
    const alloc = async (size: number): Promise<number> =>
      thread.call('drainAllocation', Math.min(1000, Math.floor(c.capacity / (size + 8) / 2)), size, 21);
    return { callRounds: c.callRounds, callSamples: c.callSamples, calls, channel, allocBytesPerMessage: { bytes64: await alloc(64), bytes4k: await alloc(4096) } };
  } finally {
    worker.postMessage([-1]);
    await exited;
    await thread.stop();
  }
}

async function measureCalls(thread: IOThread<typeof IoModule>, worker: Worker, c: IoConfig, progress: (text: string) => void): Promise<CallRow[]> {
  let id = 0;
  const request = async (arg: unknown): Promise<void> => {
    const answer = once(worker, 'message');
    worker.postMessage([++id, arg]);
    await answer;
  };
  const sample = (fn: () => Promise<unknown>) => async (): Promise<Float64Array> => {
    const out = new Float64Array(c.callSamples);
    for (let i = 0; i < out.length; i++) {
      const t0 = process.hrtime.bigint();
      await fn();
      out[i] = Number(process.hrtime.bigint() - t0);
    }
    return out;
  };
  const methods: Array<Method<Float64Array>> = [
    { id: 'call-empty', label: 'thread.call(), no argument', run: sample(() => thread.call('nop')) },
    { id: 'mp-empty', label: 'MessagePort request/response, no argument', run: sample(() => request(undefined)) },
    { id: 'call-1k', label: 'thread.call(), 1 KiB Uint8Array', run: sample(() => thread.call('nop', KIB)) },
    { id: 'mp-1k', label: 'MessagePort request/response, 1 KiB Uint8Array', run: sample(() => request(KIB)) },
  ];
  const results = await interleaved(methods, c.callRounds, progress, 'call() round trips');
  return methods.map((m, i) => {
    const all = sorted(results[i].flatMap((a) => [...a]));
    return { id: m.id, label: m.label, n: all.length, p50Ns: quantile(all, 0.5), p99Ns: quantile(all, 0.99) };
  });
}

async function measureChannel(
  input: ByteChannelProducer,
  worker: Worker,
  words: Int32Array,
  c: IoConfig,
  progress: (text: string) => void,
): Promise<ChannelRow[]> {
  // Each side counts on its own: the round's target is that side's total so far plus n.
  const totals = { channel: 0, port: 0 };
  const timed = async (side: 'channel' | 'port', n: number, send: () => unknown): Promise<number> => {
    const target = totals[side] + n;
    totals[side] = target;
    Atomics.store(words, K.TARGET, target);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const r = send();
      if (r) await r;
    }
    awaitCount(words, K.DONE, target, `the ${side} receiver to count ${n} messages`, 120_000);
    const ns = Number(process.hrtime.bigint() - t0);
    Atomics.store(words, K.DONE, 0);
    return (n * 1e9) / ns;
  };
  const methods: Array<Method<number> & { bytes: number; messages: number }> = [];
  for (const bytes of [64, 4096]) {
    const msg = new Uint8Array(bytes);
    const n = bytes === 64 ? c.messages : Math.max(1, Math.floor(c.messages / 4));
    methods.push(
      {
        id: `channel-${bytes}`,
        label: `byte channel, ${bytes} B, one producer`,
        bytes,
        messages: n,
        run: () => timed('channel', n, () => (input.trySend(msg) ? undefined : input.send(msg))),
      },
      { id: `port-${bytes}`, label: `MessagePort postMessage, ${bytes} B`, bytes, messages: n, run: () => timed('port', n, () => worker.postMessage(msg)) },
    );
  }
  const results = await interleaved(methods, c.channelRounds, progress, 'byte channel');
  return methods.map((m, i) => ({ id: m.id, label: m.label, bytes: m.bytes, messages: m.messages, msgsPerSec: median(results[i]) }));
}
