import { jsonSyntaxReason, usageError } from '../core/errors.js';
import { safeText } from '../output/terminal-safe.js';
import { FileTooLargeError, formatLimit, NotAFileError, readRegularFile } from '../sources/regular-file.js';

/** What a `file://` argument or a --config file may weigh: they hold a few KB of settings. */
export const MAX_SETTINGS_FILE_BYTES = 1024 * 1024;

/**
 * Reads a small text file named by a flag (`--config`, `file://`), refusing devices, FIFOs,
 * folders and anything over MAX_SETTINGS_FILE_BYTES with a usage error naming the flag.
 */
export function readSettingsFile(path: string, flag: string): string {
  try {
    return readRegularFile(path, MAX_SETTINGS_FILE_BYTES).toString('utf8');
  } catch (error) {
    const shown = safeText(path);
    if (error instanceof NotAFileError) throw usageError(`${flag}: ${shown} ${error.reason}`);
    if (error instanceof FileTooLargeError) throw usageError(`${flag}: ${shown} is larger than ${formatLimit(error.limit)}`, 'a settings file holds a few KB; check the path');
    const code = (error as NodeJS.ErrnoException).code;
    throw usageError(`${flag}: cannot read ${shown} (${code === 'ENOENT' ? 'no such file' : code ?? 'error'})`);
  }
}

/**
 * A JSON flag value as the AWS CLI takes it: inline JSON or `file://path`. Errors name the flag,
 * the file and the parser's reason on one line.
 */
export function readJsonArgument(value: string, flag: string): unknown {
  let text = value;
  let source = 'the value';
  if (value.startsWith('file://')) {
    source = value;
    text = readSettingsFile(value.slice('file://'.length), flag);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // The reason, never the text: a file's content does not belong in an error message.
    throw usageError(`${flag}: ${source === 'the value' ? source : safeText(source)} is not valid JSON (${jsonSyntaxReason(error)})`, 'give inline JSON or file://path.json');
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
