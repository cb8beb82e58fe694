// pidfd_open(2) and pidfd_getfd(2) (native/core/pidfd.cc): a descriptor for another process,
// and a duplicate of one of its descriptors, for looking at it without signalling,
// stopping or ptrace-attaching it.
import { native, NativeBinding } from './native';
import { INT32_MAX, validateFd, validateInteger } from '../validate';

const pidfdNative = native as NativeBinding & {
  pidfdOpen(pid: number, flags: number): number;
  pidfdGetfd(pidfd: number, targetFd: number): number;
};

/** pidfd_open(2): a descriptor referring to process `pid` (close it with sys.close). */
export function pidfdOpen(pid: number): number {
  return pidfdNative.pidfdOpen(validateInteger(pid, 'pid', 1, INT32_MAX), 0);
}

/**
 * pidfd_getfd(2): a duplicate, in this process, of descriptor `targetFd` of the process
 * behind `pidfd` (O_CLOEXEC). Needs ptrace-attach permission over it (EPERM otherwise).
 */
export function pidfdGetfd(pidfd: number, targetFd: number): number {
  return pidfdNative.pidfdGetfd(validateFd(pidfd, 'pidfd'), validateFd(targetFd, 'targetFd'));
}
