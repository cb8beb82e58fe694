// `aio-notify bench` arguments and the sizes of a full and a --quick run.
import type { PinMode } from '../harnesses';

export interface BenchConfig {
  quick: boolean;
  json: boolean;
  wake: {
    /** Interleaved rounds: every method takes `samples` in each, in a rotating order. */
    rounds: number;
    samples: number;
    /** µs between the receiver's announced sleep and each send, for every method. */
    gapUs: number;
    /**
     * Samples per method in the unrecorded warm-up round (and dropped from each of the
     * doctor's measurements, which start a fresh thread): a JavaScript receiver's poll()
     * reaches V8's optimizing tier only after about a thousand wake-ups.
     */
    warmup: number;
    /** Where the native harness runs its two threads. */
    pin: PinMode;
  };
  fastPath: { iterations: number; repeats: number };
  coalesce: { durationMs: number; rounds: number; notifiers: number[] };
  poll: { fds: number[]; iterations: number; repeats: number };
  memory: { cycles: number };
}

export const FULL: Omit<BenchConfig, 'quick' | 'json'> = {
  wake: { rounds: 20, samples: 500, gapUs: 50, warmup: 1000, pin: 'none' },
  fastPath: { iterations: 1_000_000, repeats: 21 },
  coalesce: { durationMs: 1000, rounds: 3, notifiers: [1, 4] },
  poll: { fds: [8, 64, 1024, 4096], iterations: 20_000, repeats: 11 },
  memory: { cycles: 1_000_000 },
};

export const QUICK: Omit<BenchConfig, 'quick' | 'json'> = {
  wake: { rounds: 4, samples: 100, gapUs: 50, warmup: 1000, pin: 'none' },
  fastPath: { iterations: 200_000, repeats: 7 },
  coalesce: { durationMs: 300, rounds: 1, notifiers: [1, 4] },
  poll: { fds: [8, 64, 1024, 4096], iterations: 5_000, repeats: 5 },
  memory: { cycles: 200_000 },
};

export const USAGE = `Usage: aio-notify bench [--quick] [--json] [options]

Measures aio-notify side by side with the native floor and Node's own wake-ups, and
prints a table (or, with --json, one JSON document) with each target's ratio.

  --quick            a short run (CI, under 30 s)
  --json             print the report as JSON on stdout (progress still goes to stderr)
  --rounds=N         interleaved wake-up rounds
  --samples=N        wake-up samples per method and round
  --warmup=N         unrecorded warm-up samples per method (default 1000: V8 tiers up)
  --gap-us=N         µs between the receiver falling asleep and each send (all methods)
  --pin=MODE         native harness threads: none (default; the JS paths cannot pin), split, same
  --iterations=N     operations per timing of the fast path and of poll(false)
  --repeats=N        timings per fast-path and poll(false) figure (the median is reported)
  --coalesce-ms=N    how long each coalescing run notifies
  --fds=A,B,...      idle pipe counts for poll(false)
  --cycles=N         notify/poll cycles of the memory check
  --quiet            no progress on stderr
  -h, --help         this text

Timing targets never change the exit status (these machines are noisy): 0 unless the
bench itself fails, 2 for a bad argument.`;

export class UsageError extends Error {}

const VALUE_OPTIONS = ['rounds', 'samples', 'warmup', 'gap-us', 'pin', 'iterations', 'repeats', 'coalesce-ms', 'fds', 'cycles'];

function positiveInt(name: string, value: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${value}'`);
  return n;
}

export interface ParsedArgs {
  config: BenchConfig;
  help: boolean;
  quiet: boolean;
}

/** Parses `aio-notify bench` arguments (after the subcommand). Throws UsageError. */
export function parseBenchArgs(argv: readonly string[]): ParsedArgs {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h') {
      flags.add('help');
      continue;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new UsageError(`unexpected argument '${arg}'`);
    const [, name, inline] = m;
    if (['quick', 'json', 'help', 'quiet'].includes(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
      continue;
    }
    if (!VALUE_OPTIONS.includes(name)) throw new UsageError(`unknown option --${name}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    values.set(name, value);
  }
  const quick = flags.has('quick');
  const base = structuredClone(quick ? QUICK : FULL);
  const config: BenchConfig = { quick, json: flags.has('json'), ...base };
  for (const [name, value] of values) {
    switch (name) {
      case 'rounds':
        config.wake.rounds = positiveInt(name, value);
        break;
      case 'samples':
        config.wake.samples = positiveInt(name, value);
        break;
      case 'warmup':
        config.wake.warmup = positiveInt(name, value, 0);
        break;
      case 'gap-us':
        config.wake.gapUs = positiveInt(name, value, 0);
        break;
      case 'pin':
        if (value !== 'none' && value !== 'split' && value !== 'same') {
          throw new UsageError(`--pin must be none, split or same, got '${value}'`);
        }
        config.wake.pin = value;
        break;
      case 'iterations':
        config.fastPath.iterations = positiveInt(name, value);
        config.poll.iterations = positiveInt(name, value);
        break;
      case 'repeats':
        config.fastPath.repeats = positiveInt(name, value);
        config.poll.repeats = positiveInt(name, value);
        break;
      case 'coalesce-ms':
        config.coalesce.durationMs = positiveInt(name, value);
        break;
      case 'fds':
        config.poll.fds = value.split(',').map((v) => positiveInt(name, v));
        break;
      case 'cycles':
        config.memory.cycles = positiveInt(name, value);
        break;
      default:
        throw new UsageError(`unknown option --${name}`);
    }
  }
  return { config, help: flags.has('help'), quiet: flags.has('quiet') };
}
