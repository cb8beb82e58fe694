// Every command's argument parsing: util.parseArgs, one UsageError, one message style
// (Node's own: a lower-case first word, "unknown option '--x'"), printed one way, exit 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A usage error: the CLI prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: boolean }>>;

/**
 * util.parseArgs, strict, with its errors as UsageErrors in the CLI's style: parseArgs says
 * "Unknown option '--x'. To specify a positional argument ...": the first sentence is kept,
 * its first letter lower-cased.
 */
export function parseCommandArgs<O extends Options>(args: string[], options: O, allowPositionals: boolean): Parsed<O> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    const message = (error as Error).message.split(/\. (?=[A-Z])/)[0];
    throw new UsageError(message.charAt(0).toLowerCase() + message.slice(1));
  }
}

/** An integer option's value, checked: undefined when the option was not given. */
export function parsePositiveInt(value: string | undefined, name: string, min = 1, max = 2 ** 31 - 1): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be an integer, got '${value}'`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** Prints a usage error the one way: `aio-notify <command>: <message>` and where help is. */
export function reportUsageError(stderr: { write(text: string): unknown }, command: string | undefined, error: UsageError): 2 {
  const who = command ? `aio-notify ${command}` : 'aio-notify';
  stderr.write(`${who}: ${error.message}\nRun '${who} --help' for usage.\n`);
  return 2;
}
