// The waiting side of the JavaScript SIGIO measurement: a worker thread asleep in ppoll on
// a signal relay's pipe (DESIGN.md "SIGIO kick": kill(getpid(), SIGIO) -> relay -> pipe).
import { parentPort, workerData } from 'node:worker_threads';
import { openSignalRelay } from '../../sys/relay';
import { PollFdArray, POLLIN, ppoll } from '../../sys/poll';
import { S } from './sigio-wake';

const { sab, samples, boundNs, hardNs } = workerData as { sab: SharedArrayBuffer; samples: number; boundNs: number; hardNs: number };
const w = new Int32Array(sab);
const t = new BigInt64Array(sab);
const out = new Float64Array(sab, S.LAT_BYTE_OFFSET, samples);
const relay = openSignalRelay(['SIGIO']);
let late = 0;
let lost = 0;
let spurious = 0;
let taken = 0;
try {
  const p = new PollFdArray(1);
  p.push(relay.fd, POLLIN);
  Atomics.store(w, S.READY, 1);
  Atomics.notify(w, S.READY);
  for (let i = 1; i <= samples && !Atomics.load(w, S.STOP); i++) {
    Atomics.store(w, S.ARMED, i);
    Atomics.notify(w, S.ARMED);
    let isLate = false;
    for (;;) {
      const r = ppoll(p, boundNs);
      const t1 = process.hrtime.bigint();
      const sent = Atomics.load(w, S.SENT) >= i;
      if (r > 0) {
        if (!sent) {
          spurious++;
          relay.drain();
          continue;
        }
        relay.drain();
        const dt = Number(t1 - Atomics.load(t, S.T0_SLOT));
        out[taken++] = dt;
        if (isLate || dt > boundNs) late++;
        break;
      }
      if (r < 0) continue; // EINTR: the relay's handler may run on this thread
      if (Atomics.load(w, S.STOP)) break;
      if (!sent) continue;
      const waited = Number(t1 - Atomics.load(t, S.T0_SLOT));
      if (waited > boundNs) isLate = true;
      if (waited > hardNs) {
        lost++;
        break;
      }
    }
  }
} finally {
  relay.close();
  parentPort!.postMessage({ late, lost, spurious, taken });
}
