// One bench run: every measurement in turn, then the targets.
import os from 'node:os';
import { EPOLL_THRESHOLD } from '../../aio/fd-handlers';
import { environmentReport } from '../environment';
import { measureBhRoundCost } from './bh-cost';
import { measureCoalescing } from './coalesce';
import { measureFastPath } from './fast-path';
import { measureIo } from './io';
import { ioTargets } from './io-report';
import { IMPORT_RUNS, measureImportCost } from './import-cost';
import { measureMemory } from './memory';
import type { BenchConfig } from './options';
import { measurePollCost } from './poll-cost';
import type { BenchReport } from './report';
import { evaluateTargets } from './targets';
import { aioIOThreadMethod } from './wake/aio-iothread';
import { aioMainMethod } from './wake/aio-main';
import { atomicsMethod } from './wake/atomics';
import { interleave } from './wake/interleave';
import { messagePortMethod } from './wake/message-port';
import { nativeMethod } from './wake/native';

export async function runBench(config: BenchConfig, command: string, progress: (text: string) => void = () => {}): Promise<BenchReport> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const environment = environmentReport();
  const loadStart = os.loadavg();
  const w = config.wake;

  // The floor for the targets does what the JavaScript paths do (sender 'js') and runs its
  // threads where the scheduler puts them, as the JavaScript paths' threads run; every
  // sample records both CPUs, and the targets compare placement with placement. The
  // pinned rows give each placement alone; the spinning sender (the doctor's harness)
  // shows why a floor that does not sleep as JavaScript does is no floor.
  const others = (['split', 'same'] as const).filter((p) => p !== w.pin).map((p) => nativeMethod(p, `native-${p}`));
  const wakeRows = await interleave(
    [
      nativeMethod(w.pin),
      ...others,
      nativeMethod('none', 'native-spin', 'spin'),
      aioMainMethod(),
      aioIOThreadMethod(Math.max(w.samples, w.warmup)),
      atomicsMethod(),
      messagePortMethod(),
    ],
    { rounds: w.rounds, samples: w.samples, gapUs: w.gapUs, warmup: w.warmup, onProgress: progress },
  );

  progress('notify() fast path');
  const fastRows = measureFastPath(config.fastPath);

  const coalesceRows = await measureCoalescing({ ...config.coalesce, onProgress: progress });

  progress('poll(false) cost');
  const pollRows = measurePollCost(config.poll);

  progress('bottom-half round cost');
  const bhRows = measureBhRoundCost(config.poll);

  progress(`memory: ${config.memory.cycles} cycles in a child process`);
  const memoryRows = await measureMemory(config.memory.cycles);

  const io = await measureIo(config.io, progress);
  progress(`import cost: ${IMPORT_RUNS} rounds of node -e`);
  const importRows = measureImportCost();

  const figures: Omit<BenchReport, 'targets'> = {
    tool: 'aio-notify bench',
    version: 1,
    quick: config.quick,
    startedAt,
    elapsedMs: 0,
    command,
    environment,
    loadAverage: { start: loadStart, end: os.loadavg() },
    config,
    wake: { gapUs: w.gapUs, rounds: w.rounds, samplesPerRound: w.samples, nativePin: w.pin, rows: wakeRows },
    fastPath: { iterations: config.fastPath.iterations, rows: fastRows },
    coalesce: { rows: coalesceRows },
    poll: { iterations: config.poll.iterations, epollThreshold: EPOLL_THRESHOLD, rows: pollRows },
    bottomHalves: { iterations: config.poll.iterations, rows: bhRows },
    memory: { rows: memoryRows },
    io,
    importCost: { runs: IMPORT_RUNS, rows: importRows },
  };
  const report: BenchReport = { ...figures, targets: [...evaluateTargets(figures), ...ioTargets(io)] };
  report.elapsedMs = Date.now() - started;
  return report;
}
