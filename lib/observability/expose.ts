// Makes a context visible to `aio-notify inspect <pid>` from another process: a state
// beacon (beacon.ts) naming where its shared memory lives. Costs one descriptor.
import { AioContext } from '../aio/context';
import { AioContextRef } from '../aio/context-ref';
import { invalidArgType } from '../errors';
import { validateString } from '../validate';
import { Beacon } from './beacon';

export function exposeContext(ctx: AioContext | AioContextRef, label?: string): Beacon {
  const ref = ctx instanceof AioContext ? ctx.ref() : ctx;
  if (!(ref instanceof AioContextRef)) throw invalidArgType('ctx', 'an instance of AioContext or AioContextRef', ctx);
  return new Beacon('context', new Uint8Array(ref.sab), label === undefined ? ref.name : validateString(label, 'label'));
}
