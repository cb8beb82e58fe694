// Refs inside structured-cloned values: IOThread revives them on arrival, so that
// `thread.setupResult.bh.schedule()` works without an explicit BhRef.from() (likewise
// AioContextRef and ByteChannelProducer).
import { BhRef } from './bottom-half';
import { ByteChannelProducer } from './byte-channel';
import { AioContextRef } from './context-ref';

const MAX_DEPTH = 32;

/** Returns `value` with every cloned AioContextRef / BhRef inside turned back into a live one. */
export function reviveRefs(value: unknown, depth = 0, seen = new Map<object, unknown>()): unknown {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (seen.has(value)) return seen.get(value);
  const kind = (value as { kind?: unknown }).kind;
  if (kind === 'AioContextRef') return AioContextRef.from(value);
  if (kind === 'BhRef') return BhRef.from(value);
  if (kind === 'ByteChannelProducer') return ByteChannelProducer.from(value);
  if (Array.isArray(value)) {
    seen.set(value, value);
    for (let i = 0; i < value.length; i++) value[i] = reviveRefs(value[i], depth + 1, seen);
    return value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // Map, typed arrays, ...: left alone
  seen.set(value, value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) record[key] = reviveRefs(record[key], depth + 1, seen);
  return value;
}
