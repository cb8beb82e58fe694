// Errors of `inspect`, worded for the person at the terminal: which pid, which file, and
// what to do about it. They are Node-style system errors (code, errno, syscall, path).
import { errnoException } from '../../errors';

export interface InspectError extends NodeJS.ErrnoException {
  pid: number;
  hint: string;
}

const ESRCH = 3;
const EACCES = 13;

function decorate(error: NodeJS.ErrnoException, pid: number, hint: string): InspectError {
  const e = error as InspectError;
  e.pid = pid;
  e.hint = hint;
  return e;
}

export function noSuchProcess(pid: number): InspectError {
  const e = errnoException(ESRCH, `inspect ${pid}`);
  return decorate(e, pid, `there is no process ${pid} (it may have exited)`);
}

/** Wraps an fs error met while reading `path` of process `pid`. */
export function accessError(error: unknown, pid: number, path: string): InspectError | unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ESRCH') return noSuchProcess(pid);
  if (code === 'EACCES' || code === 'EPERM') {
    const e = errnoException(code === 'EACCES' ? EACCES : 1, 'open');
    e.message = `${e.message} '${path}'`;
    e.path = path;
    return decorate(
      e,
      pid,
      `reading ${path} needs ptrace access to process ${pid}: run as the same user ` +
        '(with kernel.yama.ptrace_scope = 0, or as its parent), or with CAP_SYS_PTRACE (e.g. sudo). ' +
        'inspect never signals, stops or attaches to the process.',
    );
  }
  return error;
}
