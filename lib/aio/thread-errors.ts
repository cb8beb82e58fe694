// Errors crossing threads: structured clone keeps an Error's message and stack but drops
// `code`, `errno`, `syscall` and other own properties, turns a DOMException into `{}`, and
// refuses a thrown value it cannot copy. Every error that leaves an IOThread (a failed
// setup, a call that threw, a crash of its loop) goes through serializeError() there and
// reviveError() on the receiving thread, so it arrives with its name, message, code and the
// remote stack.
import { reviveRefs } from './refs';

/** The cloneable form of a thrown value. */
export interface SerializedError {
  readonly kind: 'SerializedError';
  /** False when something other than an Error was thrown: `message` is then its description. */
  readonly isError: boolean;
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** Own enumerable primitive properties (code, errno, syscall, path, ...). */
  readonly props: Record<string, string | number | boolean | bigint | null>;
  readonly cause: SerializedError | undefined;
}

const MAX_CAUSES = 8;

function describe(value: unknown): string {
  try {
    return typeof value === 'string' ? value : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The cloneable form of `value` (anything a `throw` may carry). Never throws. */
export function serializeError(value: unknown, depth = 0): SerializedError {
  if (!(value instanceof Error) && !isErrorLike(value)) {
    return { kind: 'SerializedError', isError: false, name: 'Error', message: describe(value), stack: undefined, props: {}, cause: undefined };
  }
  const e = value as Error & Record<string, unknown>;
  const props: Record<string, string | number | boolean | bigint | null> = {};
  for (const key of Object.keys(e)) {
    const v = e[key];
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue;
    if (v === null || ['string', 'number', 'boolean', 'bigint'].includes(typeof v)) props[key] = v as string;
  }
  // DOMException (DataCloneError, AbortError) keeps its code on the prototype.
  if (props.code === undefined && typeof e.code === 'string') props.code = e.code;
  return {
    kind: 'SerializedError',
    isError: true,
    name: describe(e.name),
    message: describe(e.message),
    stack: typeof e.stack === 'string' ? e.stack : undefined,
    props,
    cause: 'cause' in e && depth < MAX_CAUSES ? serializeError(e.cause, depth + 1) : undefined,
  };
}

function isErrorLike(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as Error).message === 'string' && typeof (v as Error).name === 'string';
}

const CONSTRUCTORS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * The Error a SerializedError stands for, on this thread: the built-in class of its name
 * (else Error, with the name kept), its code and other properties, and a stack made of the
 * remote stack, a line saying where it crossed, and nothing of this thread (the local
 * frames would only show the event loop that delivered the answer).
 */
export function reviveError(s: SerializedError, crossing: string): Error {
  const Ctor = CONSTRUCTORS[s.name] ?? Error;
  const error = new Ctor(s.isError ? s.message : `a non-Error value was thrown: ${s.message}`);
  if (s.isError && error.name !== s.name) {
    Object.defineProperty(error, 'name', { value: s.name, writable: true, configurable: true, enumerable: false });
  }
  for (const [key, value] of Object.entries(s.props)) {
    Object.defineProperty(error, key, { value, writable: true, configurable: true, enumerable: true });
  }
  if (s.cause) {
    Object.defineProperty(error, 'cause', { value: reviveError(s.cause, crossing), writable: true, configurable: true, enumerable: false });
  }
  const remote = s.stack ?? `${s.name}: ${s.message}`;
  error.stack = `${remote}\n    at <${crossing}>`;
  return error;
}

/** True for a value made by serializeError() (after structured clone). */
function isSerializedError(v: unknown): v is SerializedError {
  return typeof v === 'object' && v !== null && (v as SerializedError).kind === 'SerializedError';
}

/** A value about to cross (a call's result, an event argument): an Error keeps its shape. */
export function encodeValue(value: unknown): unknown {
  return value instanceof Error ? serializeError(value) : value;
}

/** The other side of encodeValue(): Errors revived, refs inside made live again. */
export function decodeValue(value: unknown, crossing: string): unknown {
  return isSerializedError(value) ? reviveError(value, crossing) : reviveRefs(value);
}
