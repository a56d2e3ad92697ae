import { readFileSync } from 'node:fs';
import { usageError } from '../core/errors.js';

/**
 * A JSON flag value as the AWS CLI takes it: inline JSON or `file://path`. Errors name the flag,
 * the file and the parser's reason on one line.
 */
export function readJsonArgument(value: string, flag: string): unknown {
  let text = value;
  let source = 'the value';
  if (value.startsWith('file://')) {
    const path = value.slice('file://'.length);
    source = value;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw usageError(`${flag}: cannot read ${path} (${code === 'ENOENT' ? 'no such file' : code ?? 'error'})`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw usageError(`${flag}: ${source} is not valid JSON (${(error as Error).message.split('\n')[0]})`, 'give inline JSON or file://path.json');
  }
}

/** The options the user actually gave (on the command line or from the environment), not defaults. */
export function givenOptions(cmd: { opts(): Record<string, unknown>; getOptionValueSource(key: string): string | undefined }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(cmd.opts())) {
    const source = cmd.getOptionValueSource(key);
    if (source !== undefined && source !== 'default') out[key] = value;
  }
  return out;
}
