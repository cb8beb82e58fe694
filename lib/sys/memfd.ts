// memfd_create(2) and a view's address (native/core/beacon.cc): what a state beacon
// (lib/observability/beacon.ts) needs to let another process find a context's memory.
import { native } from './native';

/** memfd_create(2) with MFD_CLOEXEC: an anonymous file whose /proc/self/fd link shows `name`. */
export function memfdCreate(name: string): number {
  return native.memfdCreate(name);
}

/** The address of `view`'s first byte in this process (for process_vm_readv from outside). */
export function addressOf(view: ArrayBufferView): bigint {
  return native.addressOf(view);
}
