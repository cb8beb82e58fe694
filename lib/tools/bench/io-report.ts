// The call and byte-channel section of the bench report: its table and its targets.
import { fixed, formatBytes, formatNs, formatRate, table } from './format';
import type { IoReport } from './io';
import type { TargetLine } from './report';
import { line } from './targets';

export function renderIo(r: IoReport): string[] {
  const out: string[] = [];
  const rows = new Map(r.calls.map((c) => [c.id, c]));
  out.push(`Calls into an IOThread: round trips (${r.callRounds} interleaved rounds x ${r.callSamples}), vs a MessagePort request/response to an idle worker`);
  out.push(
    table(
      ['round trip', 'n', 'p50', 'p99', 'p50 x MessagePort', 'p99 x MessagePort'],
      r.calls.map((c) => {
        const peer = rows.get(c.id.replace('call-', 'mp-'));
        const isCall = c.id.startsWith('call-') && peer;
        return [c.label, String(c.n), formatNs(c.p50Ns), formatNs(c.p99Ns), isCall ? fixed(c.p50Ns / peer.p50Ns, 2) : '', isCall ? fixed(c.p99Ns / peer.p99Ns, 2) : ''];
      }),
    ),
  );
  out.push('');
  const rates = new Map(r.channel.map((c) => [c.id, c]));
  out.push('Byte channel into an IOThread vs MessagePort postMessage to an idle worker (median msgs/s over the rounds)');
  out.push(
    table(
      ['stream', 'messages', 'msgs/s', 'MB/s', 'x MessagePort'],
      r.channel.map((c) => {
        const peer = rates.get(c.id.replace('channel-', 'port-'));
        const isChannel = c.id.startsWith('channel-') && peer;
        return [c.label, String(c.messages), formatRate(c.msgsPerSec), fixed((c.msgsPerSec * c.bytes) / 1e6, 1), isChannel ? fixed(c.msgsPerSec / peer.msgsPerSec, 2) : ''];
      }),
    ),
  );
  const a = r.allocBytesPerMessage;
  out.push(`allocated on the IOThread per message read: ${formatBytes(a.bytes64)} (64 B), ${formatBytes(a.bytes4k)} (4 KiB)`);
  return out;
}

export function ioTargets(r: IoReport): TargetLine[] {
  const out: TargetLine[] = [];
  const calls = new Map(r.calls.map((c) => [c.id, c]));
  for (const kind of ['empty', '1k']) {
    const call = calls.get(`call-${kind}`);
    const mp = calls.get(`mp-${kind}`);
    if (!call || !mp) continue;
    const what = kind === 'empty' ? 'no argument' : '1 KiB argument';
    for (const p of ['p50', 'p99'] as const) {
      const [a, b] = p === 'p50' ? [call.p50Ns, mp.p50Ns] : [call.p99Ns, mp.p99Ns];
      out.push(line(`call-${kind}-${p}`, `call() round trip ${p}, ${what}, <= 1.0x MessagePort request/response`, a / b, 1, 'x', `${formatNs(a)} / ${formatNs(b)}`));
    }
  }
  const rates = new Map(r.channel.map((c) => [c.id, c]));
  for (const [bytes, times] of [[64, 2], [4096, 1]] as const) {
    const ch = rates.get(`channel-${bytes}`);
    const mp = rates.get(`port-${bytes}`);
    if (!ch || !mp) continue;
    out.push(
      line(`channel-${bytes}`, `byte channel ${bytes} B >= ${times}x MessagePort msgs/s (MessagePort's rate / the channel's <= ${fixed(1 / times, 2)})`, mp.msgsPerSec / ch.msgsPerSec, 1 / times, 'x',
        `${formatRate(ch.msgsPerSec)} vs ${formatRate(mp.msgsPerSec)}: ${fixed(ch.msgsPerSec / mp.msgsPerSec, 2)}x`),
    );
  }
  for (const [key, label] of [['bytes64', '64 B'], ['bytes4k', '4 KiB']] as const) {
    const b = r.allocBytesPerMessage[key];
    out.push(line(`channel-alloc-${key}`, `no allocation per channel message read on the IOThread, ${label} (< 1 byte/message)`, b, 1, 'bytes/msg', `${fixed(b, 1)} bytes/message`));
  }
  return out;
}
